// brigade-loadtest: log-spaced latency histogram (see histogram.hpp).
#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace brigade::loadtest {

// Values below kSubBuckets get one bucket each; above, octave k (values with bit width
// kSubBits + k) is split into kSubBuckets equal parts by its top kSubBits + 1 bits.
int LatencyHistogram::index_of(std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(std::max<std::int64_t>(v, 0));
  if (u < kSubBuckets) return static_cast<int>(u);
  const auto width = static_cast<int>(std::bit_width(u));              // > kSubBits
  const int octave = width - kSubBits;                                 // >= 1
  const auto top = static_cast<int>(u >> (octave - 1)) - kSubBuckets;  // 0 .. kSubBuckets-1
  return std::min(octave * kSubBuckets + top, kBuckets - 1);
}

std::int64_t LatencyHistogram::upper_edge(int index) {
  if (index < kSubBuckets) return index;
  const int octave = index / kSubBuckets;
  const std::int64_t top = index % kSubBuckets + kSubBuckets;
  return ((top + 1) << (octave - 1)) - 1;
}

void LatencyHistogram::record(std::int64_t micros) {
  micros = std::max<std::int64_t>(micros, 0);
  ++buckets_[static_cast<std::size_t>(index_of(micros))];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() {
  *this = LatencyHistogram{};
}

std::int64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank-th smallest sample (1-based), as HdrHistogram counts it.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)];
    if (seen >= rank) return std::min(upper_edge(i), max_);
  }
  return max_;
}

}  // namespace brigade::loadtest
