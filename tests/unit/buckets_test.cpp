#include "brigade/engine/buckets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace brigade {
namespace {

TEST(AssignBuckets, DefaultsPutTheLeaderAtThreeSecondsAndFollowersFromTheBack) {
  const BucketAssignment a = assign_buckets(RoundsConfig{}, 5);
  EXPECT_EQ(a.first_bucket, 3);
  // Five followers, five buckets at 6..18 s: the first gets the last bucket.
  EXPECT_EQ(a.follower_delays, (std::vector<int>{18, 15, 12, 9, 6}));
  EXPECT_EQ(a.max_position, 18);
}

TEST(AssignBuckets, ExtraFollowersWrapAndDoubleUp) {
  const BucketAssignment a = assign_buckets(RoundsConfig{}, 12);
  EXPECT_EQ(a.first_bucket, 3);
  EXPECT_EQ(a.follower_delays, (std::vector<int>{18, 15, 12, 9, 6, 18, 15, 12, 9, 6, 18, 15}));
  EXPECT_EQ(a.max_position, 18);
}

TEST(AssignBuckets, FewFollowersUseTheFirstBucketsAndSpectatorsGoBehindThem) {
  // Two followers: buckets 6 and 9, filled from the back; spectators one bucket further.
  const BucketAssignment two = assign_buckets(RoundsConfig{}, 2);
  EXPECT_EQ(two.follower_delays, (std::vector<int>{9, 6}));
  EXPECT_EQ(two.max_position, 12);

  const BucketAssignment one = assign_buckets(RoundsConfig{}, 1);
  EXPECT_EQ(one.follower_delays, (std::vector<int>{6}));
  EXPECT_EQ(one.max_position, 9);
}

TEST(AssignBuckets, NoFollowersStillLeavesOneBucketForSpectators) {
  const BucketAssignment a = assign_buckets(RoundsConfig{}, 0);
  EXPECT_EQ(a.first_bucket, 3);
  EXPECT_TRUE(a.follower_delays.empty());
  // n_follow is at least 1 (the 6 s bucket), so spectators sit at 9 s.
  EXPECT_EQ(a.max_position, 9);
}

TEST(AssignBuckets, AllBucketsTakenPutsSpectatorsAtTheLastBucket) {
  for (std::size_t n : {5u, 6u, 20u}) {
    EXPECT_EQ(assign_buckets(RoundsConfig{}, n).max_position, 18) << n;
  }
  EXPECT_EQ(assign_buckets(RoundsConfig{}, 4).max_position, 18);  // 6..15, +3
  EXPECT_EQ(assign_buckets(RoundsConfig{}, 3).max_position, 15);  // 6..12, +3
}

TEST(AssignBuckets, RoundsOffsetTheLeaderAndCapTheFollowerBuckets) {
  // 120 bpm, 8 beats per round: a round is 4 s; 2 repeats: the chain starts 8 s later.
  const RoundsConfig rounds{.bpm = 120, .repeats = 2, .bpr = 8};
  ASSERT_TRUE(rounds.enabled());
  const BucketAssignment a = assign_buckets(rounds, 5);
  EXPECT_EQ(a.first_bucket, 8 + 3);
  // floor(4 s / 3 s) = 1 follower bucket: everyone doubles up at 8 + 6.
  EXPECT_EQ(a.follower_delays, (std::vector<int>{14, 14, 14, 14, 14}));
  EXPECT_EQ(a.max_position, 14);
}

TEST(AssignBuckets, LongRoundsAllowUpToFiveBuckets) {
  // 60 bpm, 10 beats: a round is 10 s → floor(10/3) = 3 buckets; 1 repeat → offset 10 s.
  const RoundsConfig rounds{.bpm = 60, .repeats = 1, .bpr = 10};
  const BucketAssignment a = assign_buckets(rounds, 4);
  EXPECT_EQ(a.first_bucket, 13);
  EXPECT_EQ(a.follower_delays, (std::vector<int>{22, 19, 16, 22}));
  EXPECT_EQ(a.max_position, 22);
  // 30 bpm, 20 beats: a 40 s round would allow 13 buckets; capped at 5.
  const BucketAssignment b = assign_buckets(RoundsConfig{.bpm = 30, .repeats = 1, .bpr = 20}, 9);
  EXPECT_EQ(b.first_bucket, 40 + 3);
  const std::vector<int> positions{46, 49, 52, 55, 58};
  for (std::size_t i = 0; i < b.follower_delays.size(); ++i) {
    EXPECT_EQ(b.follower_delays[i], positions[(4 - i % 5)]) << i;
  }
  EXPECT_EQ(b.max_position, 58);
}

TEST(AssignBuckets, RoundsOffsetIsCappedAtNinetySeconds) {
  // A 40 s round repeated 5 times would be 200 s; the offset stops at 90.
  const BucketAssignment a = assign_buckets(RoundsConfig{.bpm = 30, .repeats = 5, .bpr = 20}, 1);
  EXPECT_EQ(a.first_bucket, kMaxRoundsOffsetSeconds + 3);
  EXPECT_EQ(a.follower_delays, (std::vector<int>{96}));
  EXPECT_EQ(a.max_position, 99);  // one of five buckets used: spectators one further
}

TEST(AssignBuckets, PartialRoundsConfigIsIgnored) {
  for (const RoundsConfig r : {RoundsConfig{.bpm = 120, .repeats = 0, .bpr = 8},
                               RoundsConfig{.bpm = 0, .repeats = 2, .bpr = 8},
                               RoundsConfig{.bpm = 120, .repeats = 2, .bpr = 0}}) {
    EXPECT_FALSE(r.enabled());
    const BucketAssignment a = assign_buckets(r, 5);
    EXPECT_EQ(a.first_bucket, 3);
    EXPECT_EQ(a.follower_delays, (std::vector<int>{18, 15, 12, 9, 6}));
  }
}

TEST(AssignBuckets, EveryFollowerBucketIsUsedBeforeAnyDoublesUp) {
  for (std::size_t n = 1; n <= 11; ++n) {
    const BucketAssignment a = assign_buckets(RoundsConfig{}, n);
    ASSERT_EQ(a.follower_delays.size(), n);
    for (int d : a.follower_delays) {
      EXPECT_EQ(d % 3, 0);
      EXPECT_GE(d, 6);
      EXPECT_LE(d, 18);
    }
    const std::size_t buckets = std::min<std::size_t>(n, 5);
    for (int pos = 6; pos < 6 + 3 * static_cast<int>(buckets); pos += 3) {
      const auto uses = std::count(a.follower_delays.begin(), a.follower_delays.end(), pos);
      EXPECT_GE(uses, static_cast<long>(n / buckets)) << "n=" << n << " pos=" << pos;
      EXPECT_LE(uses, static_cast<long>((n + buckets - 1) / buckets)) << "n=" << n;
    }
  }
}

}  // namespace
}  // namespace brigade
