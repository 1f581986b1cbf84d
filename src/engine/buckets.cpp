// brigade: bucket assignment.
#include "brigade/engine/buckets.hpp"

#include <algorithm>
#include <cmath>

namespace brigade {

BucketAssignment assign_buckets(const RoundsConfig& rounds, std::size_t n_followers) {
  int initial = 0;
  int max_follow = kMaxFollowBuckets;
  if (rounds.enabled()) {
    const double round_seconds = 60.0 / rounds.bpm * rounds.bpr;
    initial = std::min(kMaxRoundsOffsetSeconds, static_cast<int>(round_seconds * rounds.repeats));
    max_follow =
        std::min(kMaxFollowBuckets,
                 std::max(1, static_cast<int>(std::floor(round_seconds / kBucketSeconds))));
  }
  const int n_follow = std::max(1, std::min(max_follow, static_cast<int>(n_followers)));
  std::vector<int> positions(static_cast<std::size_t>(n_follow));
  for (int j = 0; j < n_follow; ++j) positions[j] = initial + kBucketSeconds * (j + 2);

  BucketAssignment out;
  out.first_bucket = initial + kBucketSeconds;
  out.max_position = positions.back() + (n_follow < max_follow ? kBucketSeconds : 0);
  out.follower_delays.resize(n_followers);
  for (std::size_t i = 0; i < n_followers; ++i) {
    const auto slot = ((n_follow - 1 - static_cast<long>(i)) % n_follow + n_follow) % n_follow;
    out.follower_delays[i] = positions[static_cast<std::size_t>(slot)];
  }
  return out;
}

}  // namespace brigade
