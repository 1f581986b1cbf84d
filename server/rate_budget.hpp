// brigade: a rate budget (a token bucket in sample-clock time): at most `rate` per second on
// average, bursts up to `burst`. (TokenBucket, in token_bucket.hpp, paces log lines.)
#pragma once

#include <algorithm>

#include "brigade/constants.hpp"

namespace brigade::server {

/// Rate and burst of one limit. A rate of 0 turns the limit off.
struct RateLimit {
  double per_second = 0.0;
  double burst = 0.0;
};

/// Not thread-safe: the owner's lock guards it. Time is the server's sample clock.
class RateBudget {
 public:
  /// Takes `n` tokens if the bucket holds them; false (and nothing taken) otherwise.
  bool take(double n, Clock now, const RateLimit& limit) {
    if (limit.per_second <= 0.0) return true;
    if (!started_) {
      tokens_ = limit.burst;
      started_ = true;
    } else if (now > last_) {
      const double seconds = static_cast<double>(now - last_) / kSampleRate;
      tokens_ = std::min(limit.burst, tokens_ + seconds * limit.per_second);
    }
    last_ = std::max(last_, now);
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }

 private:
  double tokens_ = 0.0;
  Clock last_ = 0;
  bool started_ = false;
};

}  // namespace brigade::server
