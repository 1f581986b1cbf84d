// brigade: sample clock conversions.
#include "brigade/engine/clock.hpp"

#include <cmath>

namespace brigade {

Clock clock_from_time_point(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(tp.time_since_epoch()).count();
  constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
  // Split to keep ns * 48000 within 64 bits; floor for times before the epoch too.
  std::int64_t seconds = ns / kNanosPerSecond;
  std::int64_t rest = ns % kNanosPerSecond;
  if (rest < 0) {
    rest += kNanosPerSecond;
    --seconds;
  }
  return seconds * kSampleRate + rest * kSampleRate / kNanosPerSecond;
}

Clock clock_from_seconds(double seconds) {
  return static_cast<Clock>(std::floor(seconds * kSampleRate));
}

Clock SystemSampleClock::now() const {
  return clock_from_time_point(std::chrono::system_clock::now());
}

}  // namespace brigade
