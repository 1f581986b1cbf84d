// brigade: the debug stream's deltas (GET /api/debug/stream?delta=1). The room builds one chain
// of states every 100 ms for all its viewers: each link is the whole compact state and the
// delta from the previous link. A viewer gets the delta when it holds the previous link, else
// the whole state: the cost does not grow with viewers.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "brigade/engine/room.hpp"
#include "singer_health.hpp"

namespace brigade::server {

/// A viewer gets a whole state at least every this many messages (5 s at 10 Hz): one that
/// missed nothing needs none, but it bounds what a bug could leave wrong on a chart.
inline constexpr int kDebugDeltaWholeEvery = 50;

/// Computes each delta against the previous call's state (README, "The debug stream"): the
/// top-level numbers, the bitmap words that changed, the singers whose rows changed (windows
/// moved, level, problems…, since_last_s by whole seconds), and the ids gone.
class DebugDeltaEncoder {
 public:
  std::string delta(const RoomSnapshot& snapshot, double requests_per_second,
                    std::span<const SingerAssessment> health, const ProblemCounts& counts);

 private:
  struct Sent {
    UserId id = 0;
    std::uint64_t fingerprint = 0;  ///< of the row's absolute content
    std::uint32_t index = 0;        ///< in the snapshot it was taken from
  };
  void append_singers(std::string& out, const RoomSnapshot& snapshot,
                      std::span<const SingerAssessment> health);

  std::array<std::uint64_t, kOccupancyWords> words_{};
  std::vector<Sent> sent_;  ///< by id, ascending
  std::vector<Sent> next_;
};

enum class DebugStreamSend { kNothing, kDelta, kWhole };

/// One viewer's place in the room's chain.
class DebugStreamCursor {
 public:
  /// What to send of link `link` (numbered from 1): nothing (sent already), its delta (the
  /// viewer holds link − 1), or the whole state (first, after a gap, or the periodic one).
  DebugStreamSend next(std::uint64_t link) {
    if (link == link_) return DebugStreamSend::kNothing;
    const bool whole = link_ == 0 || link != link_ + 1 || since_whole_ + 1 >= kDebugDeltaWholeEvery;
    link_ = link;
    since_whole_ = whole ? 0 : since_whole_ + 1;
    return whole ? DebugStreamSend::kWhole : DebugStreamSend::kDelta;
  }

 private:
  std::uint64_t link_ = 0;
  int since_whole_ = 0;
};

}  // namespace brigade::server
