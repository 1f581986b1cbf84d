// brigade: a token bucket that bounds how often one kind of log line is written.
#pragma once

#include <chrono>
#include <cstdint>

namespace brigade::server {

/// Holds up to `burst` tokens and gains `per_second` a second; each line takes one. Refusals
/// are counted so the next line that passes can say how many were suppressed. Not thread-safe:
/// the logger calls it under its own mutex. Time is passed in, so tests need no sleeping.
class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  TokenBucket(double burst, double per_second, TimePoint now)
      : burst_(burst), per_second_(per_second), tokens_(burst), last_(now) {}

  /// Takes a token at `now`; false (and one more suppression counted) when none is left.
  bool take(TimePoint now);
  /// Suppressions since the last call, reset to zero.
  std::uint64_t take_suppressed();
  std::uint64_t suppressed() const { return suppressed_; }

 private:
  double burst_;
  double per_second_;
  double tokens_;
  TimePoint last_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace brigade::server
