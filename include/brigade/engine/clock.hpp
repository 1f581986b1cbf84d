// brigade: the 48 kHz sample clock and the [t - n, t) interval convention.
#pragma once

#include <atomic>
#include <chrono>

#include "brigade/constants.hpp"

namespace brigade {

/// A half-open span of clocks [begin, end).
struct Interval {
  Clock begin = 0;
  Clock end = 0;

  constexpr Clock size() const { return end - begin; }
  constexpr bool empty() const { return end <= begin; }
  friend constexpr bool operator==(const Interval&, const Interval&) = default;
};

/// The n samples "at" clock t: [t - n, t).
constexpr Interval ending_at(Clock t, Clock n) {
  return {t - n, t};
}

/// floor(unix_seconds * kSampleRate), exact for any time point (no double rounding).
Clock clock_from_time_point(std::chrono::system_clock::time_point tp);

/// floor(seconds * kSampleRate) for a duration given in seconds (may be fractional).
Clock clock_from_seconds(double seconds);

/// Where the server's notion of "now" comes from; injectable so tests control time.
class SampleClock {
 public:
  virtual ~SampleClock() = default;
  /// The current sample clock.
  virtual Clock now() const = 0;
};

/// Wall-clock time: floor(unix_seconds * 48000).
class SystemSampleClock final : public SampleClock {
 public:
  Clock now() const override;
};

/// A clock that moves only when told to, for tests.
class ManualSampleClock final : public SampleClock {
 public:
  explicit ManualSampleClock(Clock start) : now_(start) {}
  Clock now() const override { return now_.load(std::memory_order_relaxed); }
  void set(Clock t) { now_.store(t, std::memory_order_relaxed); }
  void advance(Clock n) { now_.fetch_add(n, std::memory_order_relaxed); }

 private:
  std::atomic<Clock> now_;
};

}  // namespace brigade
