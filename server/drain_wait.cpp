// brigade: the drain's wait over every room.
#include "drain_wait.hpp"

#include <algorithm>

namespace brigade::server {

bool DrainWait::holds(const DrainRoomState& room) {
  if (room.phase == SongPhase::kFinishing) return true;
  return room.phase == SongPhase::kSinging && room.singers > 0;
}

std::vector<DrainWait::Ended> DrainWait::update(const std::vector<DrainRoomState>& rooms) {
  std::vector<std::string> now;
  for (const auto& r : rooms) {
    if (holds(r)) now.push_back(r.name);
  }
  std::vector<Ended> ended;
  for (const auto& name : waiting_) {
    if (std::find(now.begin(), now.end(), name) != now.end()) continue;
    const auto it = std::find_if(rooms.begin(), rooms.end(),
                                 [&](const DrainRoomState& r) { return r.name == name; });
    const char* reason = "room closed";
    if (it != rooms.end()) {
      reason = it->phase == SongPhase::kSinging ? "singers left" : "song finished";
    }
    ended.push_back({name, reason});
    last_reason_ = reason;
  }
  waiting_ = std::move(now);
  if (!waiting_.empty()) waited_ = true;
  return ended;
}

std::string join_room_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace brigade::server
