// brigade: the room's rings.
#include "brigade/engine/ring_set.hpp"

namespace brigade {

Interval RingSet::clear_to(Clock now) {
  if (!cleared_to_) {
    cleared_to_ = now;
    return {now, now};
  }
  Interval span{std::max(*cleared_to_, now - kRingSamples), now};
  if (span.empty()) return {now, now};
  audio_.zero(span);
  backing_.zero(span);
  solo_.zero(span);
  writers_.zero(span);
  occupancy_.update(audio_, span, Occupancy::Change::kZeroed);
  cleared_to_ = now;
  return span;
}

void RingSet::mix(Interval iv, std::span<const float> block, float gain, bool solo) {
  audio_.add(iv, block, gain);
  writers_.increment(iv);
  if (solo) solo_.add(iv, block, gain);
  occupancy_.update(audio_, iv, Occupancy::Change::kMixed);
}

void RingSet::wipe() {
  const Interval all{0, kRingSamples};
  audio_.zero(all);
  backing_.zero(all);
  solo_.zero(all);
  writers_.zero(all);
  occupancy_.reset();
}

void RingSet::snapshot(OccupancySnapshot& out) const {
  out.words = occupancy_.words();
  out.clock = cleared_to_.value_or(0);
}

}  // namespace brigade
