// brigade-loadtest: a latency histogram with log-spaced buckets (HdrHistogram-like): constant
// memory, ~1.6 % relative resolution from 1 µs to ~19 h, no per-request storage.
#pragma once

#include <array>
#include <cstdint>

namespace brigade::loadtest {

class LatencyHistogram {
 public:
  /// Sub-buckets per power of two: 2^6 = 64, so a bucket is at most 1/64 of its value wide.
  static constexpr int kSubBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBits;
  /// Powers of two covered above the linear range (values up to 2^(kOctaves + kSubBits) µs).
  static constexpr int kOctaves = 30;
  static constexpr int kBuckets = (kOctaves + 1) * kSubBuckets;

  /// Records one latency in microseconds (negative values count as 0).
  void record(std::int64_t micros);
  /// Adds every sample of `other`.
  void merge(const LatencyHistogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  /// The value at quantile q in [0, 1], in microseconds: the upper edge of the bucket holding
  /// it (never below the true value), clamped to max(). 0 when empty.
  std::int64_t quantile(double q) const;
  std::int64_t max() const { return max_; }
  double mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }

 private:
  static int index_of(std::int64_t v);
  static std::int64_t upper_edge(int index);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
  std::int64_t sum_ = 0;
};

}  // namespace brigade::loadtest
