// brigade: bucket (delay) assignment when someone requests the lead.
#pragma once

#include <cstddef>
#include <vector>

namespace brigade {

/// Seconds between buckets and how many buckets a chain has.
inline constexpr int kBucketSeconds = 3;
inline constexpr int kMaxFollowBuckets = 5;
/// Cap on the leader's extra offset when rounds are configured.
inline constexpr int kMaxRoundsOffsetSeconds = 90;

/// Round ("canon") settings; all three non-zero means rounds are on.
struct RoundsConfig {
  int bpm = 0;
  int repeats = 0;
  int bpr = 0;  ///< beats per round
  bool enabled() const { return bpm > 0 && repeats > 0 && bpr > 0; }
};

/// The delays handed out by one request_lead.
struct BucketAssignment {
  int first_bucket = kBucketSeconds;  ///< the leader's delay, seconds
  int max_position = 0;               ///< spectators' delay, seconds
  std::vector<int> follower_delays;   ///< parallel to the (already shuffled) followers
};

/// Followers fill the buckets from the back (the i-th gets the (n-1-i)-th position, wrapping
/// so extra people double up); spectators go behind the last bucket. `n_followers` is the
/// number of active non-leader, non-spectator singers, in the caller's shuffled order.
BucketAssignment assign_buckets(const RoundsConfig& rounds, std::size_t n_followers);

}  // namespace brigade
