#include "brigade/engine/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace brigade {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(nanoseconds since_epoch) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(since_epoch));
}

TEST(ClockFromTimePoint, EpochIsZero) {
  EXPECT_EQ(clock_from_time_point(at(nanoseconds{0})), 0);
}

TEST(ClockFromTimePoint, KnownUnixTimes) {
  // 2021-01-01T00:00:00Z and 2033-05-18T03:33:20Z (Unix 2e9): whole seconds times 48000.
  EXPECT_EQ(clock_from_time_point(at(seconds{1'609'459'200})), 77'254'041'600'000);
  EXPECT_EQ(clock_from_time_point(at(seconds{2'000'000'000})), 96'000'000'000'000);
  // Half a second later: exactly 24000 more samples.
  EXPECT_EQ(clock_from_time_point(at(seconds{1'609'459'200} + nanoseconds{500'000'000})),
            77'254'041'624'000);
}

TEST(ClockFromTimePoint, FloorsAtTheSampleBoundaryWithoutDoubleRounding) {
  // One sample is 20833.33 ns: 20833 ns is still sample 0, 20834 ns is sample 1.
  const auto base = seconds{1'700'000'000};
  const Clock base_clock = Clock{1'700'000'000} * kSampleRate;
  EXPECT_EQ(clock_from_time_point(at(base + nanoseconds{20'833})), base_clock);
  EXPECT_EQ(clock_from_time_point(at(base + nanoseconds{20'834})), base_clock + 1);
  // The last nanosecond of a second is sample 47999, not 48000 (a double product of
  // unix_seconds * 48000 near 8e13 cannot resolve this).
  EXPECT_EQ(clock_from_time_point(at(base + nanoseconds{999'999'999})), base_clock + 47'999);
}

TEST(ClockFromTimePoint, FloorsBeforeTheEpoch) {
  EXPECT_EQ(clock_from_time_point(at(nanoseconds{-1})), -1);
  EXPECT_EQ(clock_from_time_point(at(-seconds{1})), -kSampleRate);
  EXPECT_EQ(clock_from_time_point(at(-seconds{1} - nanoseconds{1})), -kSampleRate - 1);
}

TEST(ClockFromTimePoint, IsMonotonicAcrossManyNanosecondSteps) {
  const auto base = seconds{1'650'000'000};
  Clock previous = clock_from_time_point(at(base));
  for (int ns = 1; ns < 200'000; ns += 7) {
    const Clock c = clock_from_time_point(at(base + nanoseconds{ns}));
    ASSERT_GE(c, previous);
    ASSERT_LE(c - previous, 1);
    previous = c;
  }
  // 1 ms is 48 samples.
  EXPECT_EQ(clock_from_time_point(at(base + nanoseconds{1'000'000})),
            Clock{1'650'000'000} * kSampleRate + 48);
}

TEST(ClockFromSeconds, Floors) {
  EXPECT_EQ(clock_from_seconds(0.0), 0);
  EXPECT_EQ(clock_from_seconds(1.5), 72'000);
  EXPECT_EQ(clock_from_seconds(0.6), 28'800);
  EXPECT_EQ(clock_from_seconds(1.0 / kSampleRate * 0.5), 0);
  EXPECT_EQ(clock_from_seconds(-0.5 / kSampleRate), -1);
}

TEST(SystemSampleClock, TracksTheSystemClock) {
  const Clock before = clock_from_time_point(system_clock::now());
  const Clock now = SystemSampleClock{}.now();
  const Clock after = clock_from_time_point(system_clock::now());
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(Interval, EndingAtCoversTheNSamplesBeforeT) {
  const Interval iv = ending_at(1'000'000, 28'800);
  EXPECT_EQ(iv.begin, 1'000'000 - 28'800);
  EXPECT_EQ(iv.end, 1'000'000);
  EXPECT_EQ(iv.size(), 28'800);
  EXPECT_FALSE(iv.empty());
  // Consecutive blocks tile the clock line: the next block starts where this one ends.
  EXPECT_EQ(ending_at(1'000'000 + 28'800, 28'800).begin, iv.end);
  EXPECT_TRUE(ending_at(5, 0).empty());
  EXPECT_TRUE((Interval{7, 3}).empty());
  EXPECT_EQ(ending_at(5, 0), (Interval{5, 5}));
}

TEST(ManualSampleClock, MovesOnlyWhenTold) {
  ManualSampleClock clock(100);
  EXPECT_EQ(clock.now(), 100);
  EXPECT_EQ(clock.now(), 100);
  clock.advance(28'800);
  EXPECT_EQ(clock.now(), 28'900);
  clock.set(5);
  EXPECT_EQ(clock.now(), 5);
  const SampleClock& as_base = clock;
  EXPECT_EQ(as_base.now(), 5);
}

}  // namespace
}  // namespace brigade
