// brigade: room event names.
#include "brigade/engine/room_event.hpp"

namespace brigade {

std::string_view to_string(RoomEventKind kind) {
  switch (kind) {
    case RoomEventKind::kSingerJoined:
      return "singer_joined";
    case RoomEventKind::kSingerLeft:
      return "singer_left";
    case RoomEventKind::kLeadTaken:
      return "lead_taken";
    case RoomEventKind::kSongStarted:
      return "song_started";
    case RoomEventKind::kSongStopped:
      return "song_stopped";
    case RoomEventKind::kSongHalted:
      return "song_halted";
    case RoomEventKind::kSongEnded:
      return "song_ended";
  }
  return "room_event";
}

}  // namespace brigade
