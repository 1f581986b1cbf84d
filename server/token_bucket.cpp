// brigade: token bucket.
#include "token_bucket.hpp"

#include <algorithm>
#include <utility>

namespace brigade::server {

bool TokenBucket::take(TimePoint now) {
  if (now > last_) {
    tokens_ = std::min(burst_,
                       tokens_ + std::chrono::duration<double>(now - last_).count() * per_second_);
    last_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  ++suppressed_;
  return false;
}

std::uint64_t TokenBucket::take_suppressed() {
  return std::exchange(suppressed_, 0);
}

}  // namespace brigade::server
