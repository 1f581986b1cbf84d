// brigade: one bit per 128-sample frame of the audio ring, kept exact incrementally.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "brigade/engine/ring.hpp"

namespace brigade {

/// A maximal run of occupied frames, in ring frame indices [first_frame, first_frame + length).
struct OccupancyRun {
  std::int32_t first_frame = 0;
  std::int32_t length = 0;
  friend bool operator==(const OccupancyRun&, const OccupancyRun&) = default;
};

/// Number of 64-bit words holding kRingFrames bits (704; the last word uses 8 bits).
inline constexpr std::size_t kOccupancyWords = (kRingFrames + 63) / 64;

/// The bitmap copied out of the room, plus the clock it describes (the ring was cleared up to
/// `clock` when it was taken). Bit f of the bitmap is bit (f % 64) of words[f / 64].
struct OccupancySnapshot {
  std::array<std::uint64_t, kOccupancyWords> words{};
  Clock clock = 0;

  bool test(Clock frame) const { return (words[frame / 64] >> (frame % 64)) & 1u; }
  /// Occupied frames in all.
  std::int64_t count() const;
  /// Run-length view in ring order. A run crossing the ring's end is reported as two runs.
  std::vector<OccupancyRun> runs() const;
};

/// Ring frame index of the frame containing a clock.
constexpr Clock frame_of(Clock c) {
  return ring_index(c) / kFrameSamples;
}

/// The occupancy bitmap. Definition: a frame is occupied iff at least one sample of the
/// mixed-audio ring inside it is non-zero (x != 0.0f; NaN counts as occupied). Kept exact by
/// re-deriving only the frames a zero or a mix touched: no operation scans the whole ring.
class Occupancy {
 public:
  /// Which operation just changed `iv` of the audio ring.
  enum class Change { kZeroed, kMixed };

  /// Re-derives the bits of every frame overlapping iv. Frames entirely inside a zeroed span
  /// are cleared without reading the ring; partial and mixed frames read their 128 samples.
  void update(const Ring<float>& audio, Interval iv, Change change);

  /// Clears every bit (after the whole ring was zeroed).
  void reset() { words_.fill(0); }

  bool test(Clock frame) const { return (words_[frame / 64] >> (frame % 64)) & 1u; }
  const std::array<std::uint64_t, kOccupancyWords>& words() const { return words_; }

  /// The definition applied to every frame of the ring: what the original server did on every
  /// request. For tests and for the benchmark that shows why it must not run per request.
  static std::array<std::uint64_t, kOccupancyWords> brute_force(const Ring<float>& audio);

 private:
  void assign(Clock frame, bool occupied) {
    const auto bit = std::uint64_t{1} << (frame % 64);
    auto& word = words_[frame / 64];
    word = occupied ? (word | bit) : (word & ~bit);
  }

  std::array<std::uint64_t, kOccupancyWords> words_{};
};

}  // namespace brigade
