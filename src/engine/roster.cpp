// brigade: the roster.
#include "brigade/engine/roster.hpp"

#include <algorithm>

namespace brigade {

Singer* Roster::find(UserId id) {
  const auto it = singers_.find(id);
  return it != singers_.end() && it->second.joined ? &it->second : nullptr;
}

const Singer* Roster::find(UserId id) const {
  const auto it = singers_.find(id);
  return it != singers_.end() && it->second.joined ? &it->second : nullptr;
}

Singer* Roster::record(UserId id) {
  const auto it = singers_.find(id);
  return it != singers_.end() ? &it->second : nullptr;
}

Singer* Roster::eviction_candidate(Clock now) {
  if (singers_.size() < capacity_ || singers_.empty()) return nullptr;
  // New ids are rare, so an O(records) scan is fine.
  Singer* oldest = nullptr;
  Singer* oldest_inactive = nullptr;
  for (auto& [id, s] : singers_) {
    if (!oldest || s.last_seen < oldest->last_seen) oldest = &s;
    if (!is_active(s, now) && (!oldest_inactive || s.last_seen < oldest_inactive->last_seen)) {
      oldest_inactive = &s;
    }
  }
  return oldest_inactive ? oldest_inactive : oldest;
}

Singer& Roster::add(UserId id) {
  Singer& s = singers_[id];
  s.id = id;
  return s;
}

void Roster::expire(Clock now) {
  std::erase_if(singers_,
                [&](const auto& kv) { return now - kv.second.last_seen > kUserLifetimeSamples; });
}

int Roster::count_active(Clock now) const {
  int active = 0;
  for (const auto& [id, s] : singers_) active += is_active(s, now) ? 1 : 0;
  return active;
}

void Roster::queue_for_active(Clock now, const PendingKeys& keys) {
  if (!keys.any_key()) return;  // most requests carry no control: no walk over the roster
  for_each_active(now, [&](Singer& s) { s.pending.merge(keys); });
}

}  // namespace brigade
