// brigade: room events to the log.
#include "room_log.hpp"

#include <vector>

#include "log.hpp"

namespace brigade::server {

void log_room_events(Room& room) {
  thread_local std::vector<RoomEvent> events;
  const std::uint64_t dropped = room.take_events(events);
  for (const auto& e : events) {
    const std::string_view kind = to_string(e.kind);
    if (e.song != 0 && e.user != 0) {
      log_event(LogLevel::kInfo, kind, {{"song", e.song}, {"id", e.user}, {"name", e.name}});
    } else if (e.song != 0) {
      log_event(LogLevel::kInfo, kind, {{"song", e.song}});
    } else {
      log_event(LogLevel::kInfo, kind, {{"id", e.user}, {"name", e.name}});
    }
  }
  if (dropped > 0) {
    log_event(LogLevel::kWarn, "limit_hit", {{"limit", "room_events"}, {"dropped", dropped}});
  }
}

}  // namespace brigade::server
