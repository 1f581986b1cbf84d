// brigade: incremental occupancy bitmap.
#include "brigade/engine/occupancy.hpp"

#include <bit>

namespace brigade {
namespace {

constexpr Clock floor_div(Clock a, Clock b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool frame_nonzero(const Ring<float>& audio, Clock ring_frame) {
  const float* p = audio.data().data() + ring_frame * kFrameSamples;
  Eigen::Map<const Eigen::Array<float, kFrameSamples, 1>> frame(p);
  return (frame != 0.0f).any();
}

}  // namespace

void Occupancy::update(const Ring<float>& audio, Interval iv, Change change) {
  if (iv.empty()) return;
  const Clock first = floor_div(iv.begin, kFrameSamples);
  Clock last = floor_div(iv.end - 1, kFrameSamples) + 1;  // exclusive, in clock frames
  if (last - first > kRingFrames) last = first + kRingFrames;
  for (Clock f = first; f < last; ++f) {
    const Clock ring_frame = f % kRingFrames < 0 ? f % kRingFrames + kRingFrames : f % kRingFrames;
    const bool inside = f * kFrameSamples >= iv.begin && (f + 1) * kFrameSamples <= iv.end;
    const bool occupied =
        (change == Change::kZeroed && inside) ? false : frame_nonzero(audio, ring_frame);
    assign(ring_frame, occupied);
  }
}

std::array<std::uint64_t, kOccupancyWords> Occupancy::brute_force(const Ring<float>& audio) {
  std::array<std::uint64_t, kOccupancyWords> words{};
  for (Clock f = 0; f < kRingFrames; ++f) {
    if (frame_nonzero(audio, f)) words[f / 64] |= std::uint64_t{1} << (f % 64);
  }
  return words;
}

std::int64_t OccupancySnapshot::count() const {
  std::int64_t n = 0;
  for (auto w : words) n += std::popcount(w);
  return n;
}

std::vector<OccupancyRun> OccupancySnapshot::runs() const {
  std::vector<OccupancyRun> out;
  Clock f = 0;
  while (f < kRingFrames) {
    // Skip to the next set bit, a word at a time.
    std::uint64_t w = words[f / 64] & (~std::uint64_t{0} << (f % 64));
    while (w == 0 && (f / 64) + 1 < static_cast<Clock>(kOccupancyWords)) {
      f = (f / 64 + 1) * 64;
      w = words[f / 64];
    }
    if (w == 0) break;
    const Clock start = (f / 64) * 64 + std::countr_zero(w);
    // Find the end: the next clear bit at or after start.
    f = start;
    std::uint64_t inv = ~words[f / 64] & (~std::uint64_t{0} << (f % 64));
    while (inv == 0 && (f / 64) + 1 < static_cast<Clock>(kOccupancyWords)) {
      f = (f / 64 + 1) * 64;
      inv = ~words[f / 64];
    }
    Clock end = inv == 0 ? kRingFrames : (f / 64) * 64 + std::countr_zero(inv);
    if (end > kRingFrames) end = kRingFrames;
    out.push_back({static_cast<std::int32_t>(start), static_cast<std::int32_t>(end - start)});
    f = end;
  }
  return out;
}

}  // namespace brigade
