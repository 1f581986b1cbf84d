#include "brigade/engine/ring.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

namespace brigade {
namespace {

// A ring is 23 MB; one per test keeps tests independent without building hundreds.
class RingTest : public ::testing::Test {
 protected:
  std::unique_ptr<Ring<float>> ring = std::make_unique<Ring<float>>();
};

std::vector<float> ramp(std::size_t n, float start = 1.0f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Where each operation's region lies: ending exactly at the ring's end, straddling it, starting
// at 0, and the same three one lap later (clocks beyond the first ring length).
struct Placement {
  const char* name;
  Clock begin;
  Clock n;
};
const Placement kPlacements[] = {
    {"ends_at_ring_end", kRingSamples - 300, 300},
    {"straddles_ring_end", kRingSamples - 100, 300},
    {"starts_at_zero", 0, 300},
    {"ends_at_ring_end_next_lap", 2 * kRingSamples - 300, 300},
    {"straddles_next_lap", 3 * kRingSamples - 1, 300},
    {"starts_at_zero_next_lap", 5 * kRingSamples, 300},
};

TEST(RingIndex, WrapsPositiveAndNegativeClocks) {
  EXPECT_EQ(ring_index(0), 0);
  EXPECT_EQ(ring_index(kRingSamples - 1), kRingSamples - 1);
  EXPECT_EQ(ring_index(kRingSamples), 0);
  EXPECT_EQ(ring_index(3 * kRingSamples + 7), 7);
  EXPECT_EQ(ring_index(-1), kRingSamples - 1);
  EXPECT_EQ(ring_index(-kRingSamples), 0);
}

TEST_F(RingTest, SegmentsSplitExactlyAtTheRingEnd) {
  for (const auto& p : kPlacements) {
    SCOPED_TRACE(p.name);
    const Interval iv{p.begin, p.begin + p.n};
    auto s = ring->segments(iv);
    const Clock start = ring_index(p.begin);
    const Clock head = std::min(p.n, kRingSamples - start);
    EXPECT_EQ(static_cast<Clock>(s.first.size()), head);
    EXPECT_EQ(static_cast<Clock>(s.second.size()), p.n - head);
    EXPECT_EQ(s.first.data(), ring->data().data() + start);
    if (!s.second.empty()) {
      EXPECT_EQ(s.second.data(), ring->data().data());
    }
  }
}

TEST_F(RingTest, EmptyAndWholeRingSegments) {
  auto empty = ring->segments(Interval{kRingSamples - 5, kRingSamples - 5});
  EXPECT_TRUE(empty.first.empty());
  EXPECT_TRUE(empty.second.empty());

  auto whole = ring->segments(Interval{kRingSamples + 10, 2 * kRingSamples + 10});
  EXPECT_EQ(static_cast<Clock>(whole.first.size()), kRingSamples - 10);
  EXPECT_EQ(static_cast<Clock>(whole.second.size()), 10);
}

TEST_F(RingTest, AddThenReadRoundTripsAtEveryPlacement) {
  for (const auto& p : kPlacements) {
    SCOPED_TRACE(p.name);
    const Interval iv{p.begin, p.begin + p.n};
    const auto block = ramp(static_cast<std::size_t>(p.n));
    ring->add(iv, block);
    std::vector<float> out(block.size());
    ring->read(iv, out);
    EXPECT_EQ(out, block);
    // Sample by sample the storage sits at clock mod ring length.
    for (Clock i = 0; i < p.n; ++i) {
      ASSERT_EQ(ring->data()[ring_index(p.begin + i)], block[i]) << "offset " << i;
    }
    ring->zero(iv);
  }
}

TEST_F(RingTest, AddWrapsAroundTheEnd) {
  const Interval iv = ending_at(kRingSamples + 2, 4);  // [end-2, end+2)
  std::vector<float> block{1, 2, 3, 4};
  ring->add(iv, block);
  EXPECT_EQ(ring->data()[kRingSamples - 2], 1.0f);
  EXPECT_EQ(ring->data()[kRingSamples - 1], 2.0f);
  EXPECT_EQ(ring->data()[0], 3.0f);
  EXPECT_EQ(ring->data()[1], 4.0f);
  EXPECT_EQ(ring->data()[2], 0.0f);
  EXPECT_EQ(ring->data()[kRingSamples - 3], 0.0f);
}

TEST_F(RingTest, MixingIsAdditiveAndAppliesTheGain) {
  for (const auto& p : kPlacements) {
    SCOPED_TRACE(p.name);
    const Interval iv{p.begin, p.begin + p.n};
    const auto a = ramp(static_cast<std::size_t>(p.n), 1.0f);
    const auto b = ramp(static_cast<std::size_t>(p.n), -50.0f);
    ring->add(iv, a);
    ring->add(iv, b, 0.5f);
    ring->add(iv, a, 2.0f);
    std::vector<float> out(a.size());
    ring->read(iv, out);
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_FLOAT_EQ(out[i], a[i] + 0.5f * b[i] + 2.0f * a[i]) << "offset " << i;
    }
    ring->zero(iv);
  }
}

TEST_F(RingTest, OverlappingAddsSumOnlyWhereTheyOverlap) {
  // Two blocks over the ring's end, offset by 100: the overlap holds both.
  const Interval a{kRingSamples - 200, kRingSamples + 100};
  const Interval b{kRingSamples - 100, kRingSamples + 200};
  ring->add(a, std::vector<float>(300, 1.0f));
  ring->add(b, std::vector<float>(300, 10.0f));
  std::vector<float> out(400);
  ring->read(Interval{kRingSamples - 200, kRingSamples + 200}, out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const float expected = (i < 100) ? 1.0f : (i < 300 ? 11.0f : 10.0f);
    ASSERT_EQ(out[i], expected) << "offset " << i;
  }
}

TEST_F(RingTest, ZeroClearsOnlyItsRegionAndReadingItGivesZeros) {
  for (const auto& p : kPlacements) {
    SCOPED_TRACE(p.name);
    const Interval wide{p.begin - 10, p.begin + p.n + 10};
    ring->add(wide, std::vector<float>(static_cast<std::size_t>(wide.size()), 7.0f));
    const Interval iv{p.begin, p.begin + p.n};
    ring->zero(iv);
    std::vector<float> out(static_cast<std::size_t>(p.n), -1.0f);
    ring->read(iv, out);
    EXPECT_EQ(out, std::vector<float>(out.size(), 0.0f));
    std::vector<float> edges(10);
    ring->read(Interval{wide.begin, p.begin}, edges);
    EXPECT_EQ(edges, std::vector<float>(10, 7.0f));
    ring->read(Interval{iv.end, wide.end}, edges);
    EXPECT_EQ(edges, std::vector<float>(10, 7.0f));
    ring->zero(wide);
  }
}

TEST_F(RingTest, ZeroOfAWholeRingLengthClearsEverything) {
  ring->add(Interval{0, 1000}, std::vector<float>(1000, 1.0f));
  ring->add(Interval{kRingSamples - 1000, kRingSamples}, std::vector<float>(1000, 1.0f));
  ring->zero(Interval{12345, 12345 + kRingSamples});
  for (float x : ring->data()) ASSERT_EQ(x, 0.0f);
}

TEST(RingInt16, IncrementCountsWritersAcrossTheWrap) {
  auto counts = std::make_unique<Ring<std::int16_t>>();
  for (const auto& p : kPlacements) {
    SCOPED_TRACE(p.name);
    const Interval iv{p.begin, p.begin + p.n};
    counts->increment(iv);
    counts->increment(iv);
    counts->increment(Interval{p.begin + 10, p.begin + 20});
    std::vector<std::int16_t> out(static_cast<std::size_t>(p.n + 2));
    counts->read(Interval{p.begin - 1, p.begin + p.n + 1}, out);
    EXPECT_EQ(out.front(), 0);
    EXPECT_EQ(out.back(), 0);
    for (Clock i = 0; i < p.n; ++i) {
      const int expected = (i >= 10 && i < 20) ? 3 : 2;
      ASSERT_EQ(out[i + 1], expected) << "offset " << i;
    }
    counts->zero(iv);
  }
}

}  // namespace
}  // namespace brigade
