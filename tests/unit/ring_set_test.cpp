#include "brigade/engine/ring_set.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace brigade {
namespace {

// About 80 MB each: one per test, never more.
class RingSetTest : public ::testing::Test {
 protected:
  std::unique_ptr<RingSet> rings = std::make_unique<RingSet>();

  std::vector<float> audio(Interval iv) const {
    std::vector<float> out(static_cast<std::size_t>(iv.size()));
    rings->read_audio(iv, out);
    return out;
  }
  std::vector<float> solo(Interval iv) const {
    std::vector<float> out(static_cast<std::size_t>(iv.size()));
    rings->read_solo(iv, out);
    return out;
  }
  std::vector<float> backing(Interval iv) const {
    std::vector<float> out(static_cast<std::size_t>(iv.size()));
    rings->read_backing(iv, out);
    return out;
  }
  std::vector<WriterCount> writers(Interval iv) const {
    std::vector<WriterCount> out(static_cast<std::size_t>(iv.size()));
    rings->read_writers(iv, out);
    return out;
  }
  // Puts ones into all four rings over iv.
  void fill_all(Interval iv) {
    const std::vector<float> ones(static_cast<std::size_t>(iv.size()), 1.0f);
    rings->mix(iv, ones, 1.0f, true);
    rings->backing().add(iv, ones);
  }
};

constexpr Clock kBase = 80'000'000'000'000;  // a realistic server clock (≈ 2022)

template <class T>
bool all_equal(const std::vector<T>& v, T x) {
  for (const T& y : v) {
    if (y != x) return false;
  }
  return true;
}

TEST_F(RingSetTest, FirstClearToClearsNothing) {
  const Interval iv{kBase - 1000, kBase};
  fill_all(iv);
  EXPECT_FALSE(rings->cleared_to().has_value());
  const Interval cleared = rings->clear_to(kBase);
  EXPECT_TRUE(cleared.empty());
  EXPECT_EQ(cleared.begin, kBase);
  ASSERT_TRUE(rings->cleared_to().has_value());
  EXPECT_EQ(*rings->cleared_to(), kBase);
  EXPECT_TRUE(all_equal(audio(iv), 1.0f));
  EXPECT_TRUE(all_equal(writers(iv), WriterCount{1}));
}

TEST_F(RingSetTest, ClearToZeroesAllFourRingsFromTheCursorToNow) {
  rings->clear_to(kBase);
  const Interval filled{kBase - 500, kBase + 2000};
  fill_all(filled);
  const Interval cleared = rings->clear_to(kBase + 1000);
  EXPECT_EQ(cleared, (Interval{kBase, kBase + 1000}));
  EXPECT_EQ(*rings->cleared_to(), kBase + 1000);
  // Reading a cleared region gives zeros in every ring...
  EXPECT_TRUE(all_equal(audio(cleared), 0.0f));
  EXPECT_TRUE(all_equal(solo(cleared), 0.0f));
  EXPECT_TRUE(all_equal(backing(cleared), 0.0f));
  EXPECT_TRUE(all_equal(writers(cleared), WriterCount{0}));
  // ...and what lies outside it is untouched.
  for (Interval outside : {Interval{kBase - 500, kBase}, Interval{kBase + 1000, kBase + 2000}}) {
    EXPECT_TRUE(all_equal(audio(outside), 1.0f));
    EXPECT_TRUE(all_equal(solo(outside), 1.0f));
    EXPECT_TRUE(all_equal(backing(outside), 1.0f));
    EXPECT_TRUE(all_equal(writers(outside), WriterCount{1}));
  }
}

TEST_F(RingSetTest, ClearToAcrossTheRingEnd) {
  const Clock lap_end = 13 * kRingSamples;
  rings->clear_to(lap_end - 100);
  fill_all(Interval{lap_end - 200, lap_end + 200});
  const Interval cleared = rings->clear_to(lap_end + 100);
  EXPECT_EQ(cleared, (Interval{lap_end - 100, lap_end + 100}));
  EXPECT_TRUE(all_equal(audio(cleared), 0.0f));
  EXPECT_TRUE(all_equal(writers(cleared), WriterCount{0}));
  EXPECT_TRUE(all_equal(audio(Interval{lap_end - 200, lap_end - 100}), 1.0f));
  EXPECT_TRUE(all_equal(audio(Interval{lap_end + 100, lap_end + 200}), 1.0f));
}

TEST_F(RingSetTest, ClearIsCappedAtOneRingLength) {
  rings->clear_to(kBase);
  // Fill a spot; an hour later everything lapped many times: clear exactly one ring length,
  // the most recent one, which therefore covers every sample once.
  fill_all(Interval{kBase, kBase + 1000});
  const Clock later = kBase + Clock{3600} * kSampleRate + 77;
  const Interval cleared = rings->clear_to(later);
  EXPECT_EQ(cleared, (Interval{later - kRingSamples, later}));
  EXPECT_EQ(cleared.size(), kRingSamples);
  EXPECT_TRUE(all_equal(audio(Interval{kBase, kBase + 1000}), 0.0f));
  EXPECT_TRUE(all_equal(writers(Interval{kBase, kBase + 1000}), WriterCount{0}));
  EXPECT_EQ(rings->occupancy().words(), Occupancy::brute_force(rings->audio()));
  OccupancySnapshot snap;
  rings->snapshot(snap);
  EXPECT_EQ(snap.count(), 0);
}

TEST_F(RingSetTest, ClearToTheSameOrAnEarlierClockClearsNothing) {
  rings->clear_to(kBase);
  fill_all(Interval{kBase - 100, kBase + 100});
  EXPECT_TRUE(rings->clear_to(kBase).empty());
  EXPECT_TRUE(rings->clear_to(kBase - 50).empty());
  EXPECT_TRUE(all_equal(audio(Interval{kBase - 100, kBase + 100}), 1.0f));
}

TEST_F(RingSetTest, ForgetClearedMakesTheNextClearANoOp) {
  rings->clear_to(kBase);
  fill_all(Interval{kBase, kBase + 1000});
  rings->forget_cleared();
  EXPECT_FALSE(rings->cleared_to().has_value());
  EXPECT_TRUE(rings->clear_to(kBase + 1000).empty());
  EXPECT_TRUE(all_equal(audio(Interval{kBase, kBase + 1000}), 1.0f));
  // From there on it clears again.
  EXPECT_EQ(rings->clear_to(kBase + 2000), (Interval{kBase + 1000, kBase + 2000}));
}

TEST_F(RingSetTest, MixIsAdditiveCountsWritersAndAppliesGain) {
  const Interval iv{kBase, kBase + 300};
  std::vector<float> a(300), b(300);
  for (int i = 0; i < 300; ++i) {
    a[i] = 0.001f * static_cast<float>(i);
    b[i] = -0.5f + 0.002f * static_cast<float>(i);
  }
  rings->mix(iv, a, 1.0f, false);
  rings->mix(iv, b, 0.25f, false);
  rings->mix(Interval{kBase + 100, kBase + 400}, a, 2.0f, false);
  const auto mixed = audio(Interval{kBase, kBase + 400});
  const auto counts = writers(Interval{kBase, kBase + 400});
  for (int i = 0; i < 400; ++i) {
    float expected = 0.0f;
    int n = 0;
    if (i < 300) {
      expected += a[i] + 0.25f * b[i];
      n += 2;
    }
    if (i >= 100) {
      expected += 2.0f * a[i - 100];
      n += 1;
    }
    ASSERT_FLOAT_EQ(mixed[i], expected) << i;
    ASSERT_EQ(counts[i], n) << i;
  }
  // Nothing went to the solo ring.
  EXPECT_TRUE(all_equal(solo(Interval{kBase, kBase + 400}), 0.0f));
}

TEST_F(RingSetTest, SoloMixGoesToBothAudioAndSolo) {
  const Interval iv{kRingSamples - 10, kRingSamples + 10};  // over the wrap
  const std::vector<float> block(20, 0.5f);
  rings->mix(iv, block, 2.0f, true);
  rings->mix(iv, block, 1.0f, false);
  EXPECT_TRUE(all_equal(solo(iv), 1.0f));
  EXPECT_TRUE(all_equal(audio(iv), 1.5f));
  EXPECT_TRUE(all_equal(writers(iv), WriterCount{2}));
}

TEST_F(RingSetTest, MixOfZeroesCountsAWriterButOccupiesNothing) {
  const Interval iv{kBase, kBase + 1000};
  rings->mix(iv, std::vector<float>(1000, 0.0f), 1.0f, false);
  EXPECT_TRUE(all_equal(writers(iv), WriterCount{1}));
  OccupancySnapshot snap;
  rings->snapshot(snap);
  EXPECT_EQ(snap.count(), 0);
}

TEST_F(RingSetTest, WipeZeroesEverythingButKeepsTheCursor) {
  rings->clear_to(kBase);
  fill_all(Interval{kBase - 5000, kBase + 5000});
  rings->wipe();
  const Interval iv{kBase - 5000, kBase + 5000};
  EXPECT_TRUE(all_equal(audio(iv), 0.0f));
  EXPECT_TRUE(all_equal(solo(iv), 0.0f));
  EXPECT_TRUE(all_equal(backing(iv), 0.0f));
  EXPECT_TRUE(all_equal(writers(iv), WriterCount{0}));
  OccupancySnapshot snap;
  rings->snapshot(snap);
  EXPECT_EQ(snap.count(), 0);
  EXPECT_EQ(rings->cleared_to(), kBase);
}

TEST_F(RingSetTest, SnapshotCopiesTheBitmapAndTheCursor) {
  OccupancySnapshot snap;
  rings->snapshot(snap);
  EXPECT_EQ(snap.clock, 0);  // no clear yet
  rings->clear_to(kBase);
  // Frame-aligned block of 3 frames starting at a frame boundary.
  const Clock start = kBase - kBase % kFrameSamples + 5 * kFrameSamples;
  rings->mix(Interval{start, start + 3 * kFrameSamples},
             std::vector<float>(3 * kFrameSamples, 0.1f), 1.0f, false);
  rings->snapshot(snap);
  EXPECT_EQ(snap.clock, kBase);
  EXPECT_EQ(snap.words, rings->occupancy().words());
  EXPECT_EQ(snap.count(), 3);
  const Clock f = frame_of(start);
  EXPECT_TRUE(snap.test(f));
  EXPECT_TRUE(snap.test(f + 2));
  EXPECT_FALSE(snap.test(f + 3));
  EXPECT_FALSE(snap.test(f - 1));
}

}  // namespace
}  // namespace brigade
