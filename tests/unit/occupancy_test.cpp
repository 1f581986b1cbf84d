#include "brigade/engine/occupancy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "brigade/engine/ring_set.hpp"

namespace brigade {
namespace {

constexpr Clock kBase = 80'000'000'000'000;  // a realistic server clock, frame-aligned
static_assert(kBase % kFrameSamples == 0);

// Frame f of the ring from its samples, written independently of the engine.
bool frame_has_nonzero(const Ring<float>& ring, Clock f) {
  for (Clock i = 0; i < kFrameSamples; ++i) {
    const float x = ring.data()[f * kFrameSamples + i];
    if (x != 0.0f) return true;  // NaN != 0 too
  }
  return false;
}

TEST(FrameOf, MapsClocksToRingFrames) {
  EXPECT_EQ(frame_of(0), 0);
  EXPECT_EQ(frame_of(127), 0);
  EXPECT_EQ(frame_of(128), 1);
  EXPECT_EQ(frame_of(kRingSamples - 1), kRingFrames - 1);
  EXPECT_EQ(frame_of(kRingSamples), 0);
  EXPECT_EQ(frame_of(-1), kRingFrames - 1);
}

class OccupancyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Ring<float>> ring = std::make_unique<Ring<float>>();
  Occupancy occ;

  void mix(Interval iv, const std::vector<float>& block) {
    ring->add(iv, block);
    occ.update(*ring, iv, Occupancy::Change::kMixed);
  }
  void zero(Interval iv) {
    ring->zero(iv);
    occ.update(*ring, iv, Occupancy::Change::kZeroed);
  }
};

TEST_F(OccupancyTest, OneNonZeroSampleOccupiesItsFrameOnly) {
  std::vector<float> block(3 * kFrameSamples, 0.0f);
  block[kFrameSamples + 17] = 1e-30f;  // tiny but non-zero: still occupied
  const Interval iv{kBase, kBase + 3 * kFrameSamples};
  mix(iv, block);
  const Clock f = frame_of(kBase);
  EXPECT_FALSE(occ.test(f));
  EXPECT_TRUE(occ.test(f + 1));
  EXPECT_FALSE(occ.test(f + 2));
  EXPECT_EQ(occ.words(), Occupancy::brute_force(*ring));
}

TEST_F(OccupancyTest, NaNCountsAsOccupied) {
  std::vector<float> block(10, 0.0f);
  block[3] = std::numeric_limits<float>::quiet_NaN();
  mix(Interval{kBase + 5, kBase + 15}, block);
  EXPECT_TRUE(occ.test(frame_of(kBase)));
  EXPECT_EQ(occ.words(), Occupancy::brute_force(*ring));
}

TEST_F(OccupancyTest, ZeroingPartOfAFrameKeepsTheRestOccupied) {
  mix(Interval{kBase, kBase + kFrameSamples}, std::vector<float>(kFrameSamples, 0.5f));
  zero(Interval{kBase + 10, kBase + kFrameSamples});  // samples 0..9 of the frame survive
  EXPECT_TRUE(occ.test(frame_of(kBase)));
  zero(Interval{kBase, kBase + 10});
  EXPECT_FALSE(occ.test(frame_of(kBase)));
  EXPECT_EQ(occ.words(), Occupancy::brute_force(*ring));
}

TEST_F(OccupancyTest, MixThatCancelsToZeroFreesTheFrame) {
  const std::vector<float> block(200, 0.25f);
  const std::vector<float> negated(200, -0.25f);
  const Interval iv{kBase + 100, kBase + 300};
  mix(iv, block);
  EXPECT_TRUE(occ.test(frame_of(kBase)));
  mix(iv, negated);
  EXPECT_FALSE(occ.test(frame_of(kBase)));
  EXPECT_FALSE(occ.test(frame_of(kBase) + 1));
  EXPECT_FALSE(occ.test(frame_of(kBase) + 2));
}

TEST_F(OccupancyTest, WorksAcrossTheRingEnd) {
  const Interval iv{kRingSamples - 200, kRingSamples + 200};
  mix(iv, std::vector<float>(400, 1.0f));
  EXPECT_TRUE(occ.test(kRingFrames - 2));
  EXPECT_TRUE(occ.test(kRingFrames - 1));
  EXPECT_TRUE(occ.test(0));
  EXPECT_TRUE(occ.test(1));
  EXPECT_FALSE(occ.test(2));
  EXPECT_FALSE(occ.test(kRingFrames - 3));
  EXPECT_EQ(occ.words(), Occupancy::brute_force(*ring));
  zero(iv);
  EXPECT_EQ(occ.words(), (std::array<std::uint64_t, kOccupancyWords>{}));
}

TEST_F(OccupancyTest, ResetClearsEveryBit) {
  mix(Interval{0, 1000}, std::vector<float>(1000, 1.0f));
  ring->zero(Interval{0, kRingSamples});
  occ.reset();
  EXPECT_EQ(occ.words(), Occupancy::brute_force(*ring));
}

TEST(OccupancySnapshot, RunsAndCount) {
  OccupancySnapshot snap;
  EXPECT_TRUE(snap.runs().empty());
  EXPECT_EQ(snap.count(), 0);
  auto set = [&](Clock first, Clock length) {
    for (Clock f = first; f < first + length; ++f)
      snap.words[f / 64] |= std::uint64_t{1} << (f % 64);
  };
  set(3, 1);                // a single frame
  set(60, 10);              // crossing a word boundary
  set(640, 128);            // two whole words
  set(kRingFrames - 5, 5);  // up to the ring's end
  const std::vector<OccupancyRun> expected{
      {3, 1}, {60, 10}, {640, 128}, {static_cast<std::int32_t>(kRingFrames - 5), 5}};
  EXPECT_EQ(snap.runs(), expected);
  EXPECT_EQ(snap.count(), 1 + 10 + 128 + 5);
  EXPECT_TRUE(snap.test(60));
  EXPECT_FALSE(snap.test(70));
}

TEST(OccupancySnapshot, ARunCrossingTheRingEndIsTwoRuns) {
  OccupancySnapshot snap;
  for (Clock f : {kRingFrames - 2, kRingFrames - 1, Clock{0}, Clock{1}, Clock{2}}) {
    snap.words[f / 64] |= std::uint64_t{1} << (f % 64);
  }
  const std::vector<OccupancyRun> expected{{0, 3}, {static_cast<std::int32_t>(kRingFrames - 2), 2}};
  EXPECT_EQ(snap.runs(), expected);
}

TEST(OccupancySnapshot, FullBitmapIsOneRun) {
  OccupancySnapshot snap;
  for (Clock f = 0; f < kRingFrames; ++f) snap.words[f / 64] |= std::uint64_t{1} << (f % 64);
  const std::vector<OccupancyRun> expected{{0, static_cast<std::int32_t>(kRingFrames)}};
  EXPECT_EQ(snap.runs(), expected);
  EXPECT_EQ(snap.count(), kRingFrames);
}

TEST(OccupancySnapshot, RunsMatchBitsOnRandomBitmaps) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    OccupancySnapshot snap;
    // Runs of random lengths, so words are both full, empty and mixed.
    Clock f = 0;
    bool on = false;
    std::geometric_distribution<int> length(trial % 2 ? 0.01 : 0.2);
    while (f < kRingFrames) {
      const Clock n = std::min<Clock>(kRingFrames - f, 1 + length(rng));
      if (on) {
        for (Clock g = f; g < f + n; ++g) snap.words[g / 64] |= std::uint64_t{1} << (g % 64);
      }
      f += n;
      on = !on;
    }
    std::vector<bool> from_runs(kRingFrames, false);
    std::int64_t total = 0;
    Clock previous_end = -1;
    for (const auto& run : snap.runs()) {
      ASSERT_GT(run.length, 0);
      ASSERT_GT(run.first_frame, previous_end);  // maximal and ordered: a gap between runs
      previous_end = run.first_frame + run.length;
      ASSERT_LE(previous_end, kRingFrames);
      for (Clock g = run.first_frame; g < previous_end; ++g) from_runs[g] = true;
      total += run.length;
    }
    for (Clock g = 0; g < kRingFrames; ++g) ASSERT_EQ(from_runs[g], snap.test(g)) << g;
    EXPECT_EQ(total, snap.count());
  }
}

// An exact model of the bitmap kept by the test: the definition re-applied, with a plain scalar
// loop, to every frame an operation touched. Compared word for word with the engine's bitmap
// after every operation, it catches a wrong bit anywhere in the ring, not only near the edit.
class ShadowBitmap {
 public:
  void refresh(const Ring<float>& ring, Interval iv) {
    if (iv.empty()) return;
    const Clock first = iv.begin >= 0 ? iv.begin / kFrameSamples
                                      : -((-iv.begin + kFrameSamples - 1) / kFrameSamples);
    const Clock last =
        first +
        std::min(kRingFrames, (iv.end - first * kFrameSamples + kFrameSamples - 1) / kFrameSamples);
    for (Clock f = first; f < last; ++f) {
      const Clock rf = ((f % kRingFrames) + kRingFrames) % kRingFrames;
      const auto bit = std::uint64_t{1} << (rf % 64);
      if (frame_has_nonzero(ring, rf)) {
        words[rf / 64] |= bit;
      } else {
        words[rf / 64] &= ~bit;
      }
    }
  }
  std::array<std::uint64_t, kOccupancyWords> words{};
};

// The property: after any sequence of RingSet::mix and RingSet::clear_to (random clocks and
// lengths, wraps, zero-valued blocks, partial frames, exact cancellation), the incremental
// bitmap equals the definition applied to the whole ring. After every operation it is compared
// with the test's exact model; with Occupancy::brute_force after each of the first operations
// and then every kBruteForceEvery-th one (a full scan costs milliseconds, ~0.2 s unoptimized).
TEST(OccupancyProperty, IncrementalBitmapMatchesBruteForceAfterRandomOperations) {
#ifdef NDEBUG
  constexpr int kOperations = 5000;
  constexpr int kBruteForceFirst = 50;
  constexpr int kBruteForceEvery = 100;
#else
  constexpr int kOperations = 2000;
  constexpr int kBruteForceFirst = 5;
  constexpr int kBruteForceEvery = 250;
#endif
  auto rings = std::make_unique<RingSet>();
  ShadowBitmap shadow;
  std::mt19937_64 rng(20240601);
  auto uniform = [&](Clock lo, Clock hi) {  // inclusive
    return std::uniform_int_distribution<Clock>(lo, hi)(rng);
  };
  // Start a few seconds before a lap boundary, not frame-aligned, so clears and mixes wrap.
  Clock now = 14 * kRingSamples - 3 * kSampleRate + 37;
  rings->clear_to(now);
  std::vector<float> block;
  int mixes = 0, clears = 0, wrapped = 0, zero_blocks = 0, cancelled = 0, brute_checks = 0;
  for (int op = 0; op < kOperations; ++op) {
    const int kind = static_cast<int>(uniform(0, 9));
    if (kind < 3) {
      // Clear ahead: usually a request's worth, sometimes nothing, rarely more than a ring.
      Clock step = uniform(0, 40'000);
      if (kind == 0 && uniform(0, 50) == 0) step = uniform(kRingSamples / 2, 2 * kRingSamples);
      now += step;
      const Interval cleared = rings->clear_to(now);
      shadow.refresh(rings->audio(), cleared);
      ++clears;
      if (!cleared.empty() && ring_index(cleared.begin) + cleared.size() > kRingSamples) ++wrapped;
    } else {
      // Mix a block somewhere in the ring's history or its near future, any length and offset.
      const Clock n = uniform(0, 3) == 0 ? uniform(1, 300) : uniform(1, 60'000);
      const Clock end = now + uniform(-kRingSamples + n, 200'000);
      const Interval iv{end - n, end};
      block.assign(static_cast<std::size_t>(n), 0.0f);
      const int content = static_cast<int>(uniform(0, 4));
      float gain = 1.0f;
      if (content == 0) {
        ++zero_blocks;  // all zeros: a silent singer
      } else if (content == 1) {
        // Sparse: a few non-zero samples, so most frames are partial or empty.
        for (int k = static_cast<int>(uniform(1, 4)); k > 0; --k) {
          block[static_cast<std::size_t>(uniform(0, n - 1))] = 0.5f;
        }
      } else if (content == 2) {
        // Read back what is there and subtract it: exact cancellation frees frames.
        rings->read_audio(iv, block);
        gain = -1.0f;
        ++cancelled;
      } else {
        std::normal_distribution<float> noise(0.0f, 0.1f);
        for (auto& x : block) x = noise(rng);
      }
      rings->mix(iv, block, gain, uniform(0, 1) == 1);
      shadow.refresh(rings->audio(), iv);
      ++mixes;
      if (ring_index(iv.begin) + n > kRingSamples) ++wrapped;
    }
    ASSERT_EQ(rings->occupancy().words(), shadow.words) << "after operation " << op;
    if (op < kBruteForceFirst || op % kBruteForceEvery == 0 || op == kOperations - 1) {
      ASSERT_EQ(rings->occupancy().words(), Occupancy::brute_force(rings->audio()))
          << "after operation " << op;
      ++brute_checks;
    }
  }
  // The random walk really exercised what it claims to.
  EXPECT_GT(mixes, kOperations / 2);
  EXPECT_GT(clears, kOperations / 5);
  EXPECT_GT(wrapped, 0);
  EXPECT_GT(zero_blocks, 0);
  EXPECT_GT(cancelled, 0);
  EXPECT_GE(brute_checks, kBruteForceFirst);
  // And the bitmap is neither trivially empty nor full at the end.
  OccupancySnapshot snap;
  rings->snapshot(snap);
  EXPECT_GT(snap.count(), 0);
  EXPECT_LT(snap.count(), kRingFrames);
}

// brute_force itself against the independent per-frame scan, on a ring with scattered content.
TEST_F(OccupancyTest, BruteForceMatchesAPlainScan) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<Clock> where(0, kRingSamples - 1);
  std::vector<float> block(16, 0.0f);
  for (int i = 0; i < 500; ++i) {
    const Clock c = where(rng);
    block.assign(16, 0.0f);
    block[static_cast<std::size_t>(c % 16)] = 0.5f;
    ring->add(Interval{c, c + 16}, block);
  }
  const auto brute = Occupancy::brute_force(*ring);
  for (Clock f = 0; f < kRingFrames; ++f) {
    ASSERT_EQ(((brute[f / 64] >> (f % 64)) & 1u) != 0, frame_has_nonzero(*ring, f)) << f;
  }
  EXPECT_EQ(brute[kOccupancyWords - 1] >> (kRingFrames % 64), 0u);  // no bits past the ring
}

}  // namespace
}  // namespace brigade
