#include "token_bucket.hpp"

#include <gtest/gtest.h>

namespace brigade::server {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, ABurstPassesThenTheRateAppliesAndRefusalsAreCounted) {
  const TokenBucket::TimePoint t0{};
  TokenBucket bucket(3, 2, t0);  // 3 at once, then 2 a second
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 + 100ms));  // 0.2 tokens back: not a whole one
  EXPECT_EQ(bucket.suppressed(), 2u);
  EXPECT_TRUE(bucket.take(t0 + 500ms));  // one token back after half a second
  EXPECT_FALSE(bucket.take(t0 + 500ms));
  EXPECT_EQ(bucket.take_suppressed(), 3u);
  EXPECT_EQ(bucket.take_suppressed(), 0u);
}

TEST(TokenBucket, AnIdleBucketRefillsOnlyUpToItsBurst) {
  const TokenBucket::TimePoint t0{};
  TokenBucket bucket(2, 10, t0);
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0));
  const auto later = t0 + 1h;
  EXPECT_TRUE(bucket.take(later));
  EXPECT_TRUE(bucket.take(later));
  EXPECT_FALSE(bucket.take(later));
}

TEST(TokenBucket, TimeGoingBackwardsGivesNothing) {
  const TokenBucket::TimePoint t0 = TokenBucket::TimePoint{} + 10s;
  TokenBucket bucket(1, 1, t0);
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 - 5s));
  EXPECT_TRUE(bucket.take(t0 + 1s));
}

}  // namespace
}  // namespace brigade::server
