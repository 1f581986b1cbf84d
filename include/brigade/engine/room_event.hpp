// brigade: what happens in the room that an operator wants to read in the log. The room
// collects these under its lock; the server takes them out and logs them after unlocking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "brigade/engine/exchange.hpp"

namespace brigade {

enum class RoomEventKind {
  kSingerJoined,  ///< first request, or first after being away longer than kUserActiveSamples
  kSingerLeft,    ///< not heard from for kUserActiveSamples (or evicted by a flood of new ids)
  kLeadTaken,     ///< request_lead: `user` leads and the others were given buckets
  kSongStarted,   ///< mark_start_singing by `user`
  kSongStopped,   ///< the leader `user` stopped their song (it ends where their audio ends)
  kSongHalted,    ///< `user` (not the leader) halted the song at once
  kSongEnded,     ///< the backing track ran out (no user)
};

/// The event's name in logs ("singer_joined", …).
std::string_view to_string(RoomEventKind kind);

struct RoomEvent {
  RoomEventKind kind = RoomEventKind::kSingerJoined;
  UserId user = 0;         ///< 0 when no singer caused it
  std::string name;        ///< the singer's display name (empty when no singer)
  std::uint64_t song = 0;  ///< song number for song events, else 0
};

/// Events kept between two take_events() calls; beyond it they are counted as dropped. Events
/// are taken after every exchange that produced one, so this only matters if logging stalls.
inline constexpr std::size_t kMaxPendingRoomEvents = 1024;

}  // namespace brigade
