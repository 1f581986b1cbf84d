// brigade: one circular buffer of kRingSamples samples, addressed by absolute clocks.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "brigade/engine/clock.hpp"

namespace brigade {

/// Position of a clock in the ring (clocks may in principle be negative).
constexpr Clock ring_index(Clock c) {
  const Clock r = c % kRingSamples;
  return r < 0 ? r + kRingSamples : r;
}

/// A ring region as at most two contiguous pieces: `first` up to the ring's end, then `second`
/// from index 0 when the region wraps.
template <class T>
struct RingSegments {
  std::span<T> first;
  std::span<T> second;
};

/// Fixed-size ring of samples. All memory is allocated once, in the constructor; every
/// operation takes an Interval of absolute clocks no longer than the ring and handles the wrap.
/// Not synchronized: the Room's lock guards it.
template <class T>
class Ring {
 public:
  Ring() : data_(static_cast<std::size_t>(kRingSamples), T{}) {}

  /// The storage behind [iv.begin, iv.end), split at the ring's end.
  RingSegments<T> segments(Interval iv) {
    assert(iv.size() >= 0 && iv.size() <= kRingSamples);
    const auto start = static_cast<std::size_t>(ring_index(iv.begin));
    const auto n = static_cast<std::size_t>(iv.size());
    const std::size_t head = std::min(n, data_.size() - start);
    std::span<T> all(data_);
    return {all.subspan(start, head), all.subspan(0, n - head)};
  }
  RingSegments<const T> segments(Interval iv) const {
    auto s = const_cast<Ring*>(this)->segments(iv);
    return {s.first, s.second};
  }

  /// Sets [iv.begin, iv.end) to zero.
  void zero(Interval iv) {
    auto s = segments(iv);
    std::fill(s.first.begin(), s.first.end(), T{});
    std::fill(s.second.begin(), s.second.end(), T{});
  }

  /// Copies [iv.begin, iv.end) into out (out.size() == iv.size()).
  void read(Interval iv, std::span<T> out) const {
    assert(static_cast<Clock>(out.size()) == iv.size());
    auto s = segments(iv);
    std::copy(s.first.begin(), s.first.end(), out.begin());
    std::copy(s.second.begin(), s.second.end(), out.begin() + s.first.size());
  }

  /// Copies block into [iv.begin, iv.end) (block.size() == iv.size()).
  void write(Interval iv, std::span<const T> block) {
    assert(static_cast<Clock>(block.size()) == iv.size());
    auto s = segments(iv);
    std::copy_n(block.begin(), s.first.size(), s.first.begin());
    std::copy(block.begin() + s.first.size(), block.end(), s.second.begin());
  }

  /// Mixes gain * block into [iv.begin, iv.end), vectorized (block.size() == iv.size()).
  void add(Interval iv, std::span<const T> block,
           T gain = T{1}) requires std::is_floating_point_v<T> {
    assert(static_cast<Clock>(block.size()) == iv.size());
    auto s = segments(iv);
    add_scaled(s.first, block.first(s.first.size()), gain);
    add_scaled(s.second, block.subspan(s.first.size()), gain);
  }

  /// Adds one to every sample of [iv.begin, iv.end): counts writers for auto-gain.
  void increment(Interval iv) requires std::is_integral_v<T> {
    auto s = segments(iv);
    for (auto part : {s.first, s.second}) {
      using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
      Eigen::Map<Array> dst(part.data(), static_cast<Eigen::Index>(part.size()));
      dst += T{1};
    }
  }

  /// The whole ring in index order (for brute-force checks and snapshots).
  std::span<const T> data() const { return data_; }

 private:
  static void add_scaled(std::span<T> dst, std::span<const T> src, T gain) {
    using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
    const auto n = static_cast<Eigen::Index>(dst.size());
    Eigen::Map<Array> d(dst.data(), n);
    Eigen::Map<const Array> s(src.data(), n);
    if (gain == T{1}) {
      d += s;
    } else {
      d += gain * s;
    }
  }

  std::vector<T> data_;
};

}  // namespace brigade
