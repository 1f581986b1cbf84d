// brigade: singer registry.
#include "singer_registry.hpp"

#include <algorithm>

#include "brigade/engine/room.hpp"

namespace brigade::server {
namespace {
constexpr Clock kSweepIntervalSamples = Clock{60} * kSampleRate;
}

std::shared_ptr<Singer> SingerRegistry::get(UserId id, Clock now) {
  std::lock_guard lock(mutex_);
  if (now - last_sweep_ > kSweepIntervalSamples) {
    last_sweep_ = now;
    std::erase_if(singers_, [&](const auto& kv) {
      return now - kv.second->last_used > kUserLifetimeSamples;
    });
  }
  if (singers_.size() >= capacity_ && !singers_.contains(id)) {
    const auto oldest = std::min_element(
        singers_.begin(), singers_.end(),
        [](const auto& a, const auto& b) { return a.second->last_used < b.second->last_used; });
    singers_.erase(oldest);
  }
  auto& slot = singers_[id];
  if (!slot) slot = std::make_shared<Singer>();
  slot->last_used = now;
  return slot;
}

std::size_t SingerRegistry::size() {
  std::lock_guard lock(mutex_);
  return singers_.size();
}

}  // namespace brigade::server
