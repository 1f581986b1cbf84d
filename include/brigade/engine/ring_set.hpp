// brigade: the four parallel rings of the room, the occupancy bitmap and the clearing cursor.
#pragma once

#include <optional>
#include <span>

#include "brigade/engine/occupancy.hpp"
#include "brigade/engine/ring.hpp"

namespace brigade {

/// Number of singers who wrote a sample; int16 as in the original (auto-gain input).
using WriterCount = std::int16_t;

/// The shared audio state: mixed audio, backing track, solo mix, writer counts, and the
/// bitmap of occupied frames of the mixed audio. All memory (~80 MB) is allocated in the
/// constructor; no method allocates. Not synchronized: the Room's lock guards it.
class RingSet {
 public:
  /// Zeroes every ring over [cleared_to, now), at most one ring length (the most recent one),
  /// and remembers now. The first call (and the first after forget_cleared) clears nothing.
  /// Returns the span that was cleared.
  Interval clear_to(Clock now);

  /// The clock up to which the rings have been cleared, if any clear happened yet.
  std::optional<Clock> cleared_to() const { return cleared_to_; }

  /// Forgets the clearing cursor (state reset): the next clear_to clears nothing.
  void forget_cleared() { cleared_to_.reset(); }

  /// Mixes gain * block into the audio ring over iv, counts one more writer there, and also
  /// mixes it into the solo ring when `solo`. block.size() == iv.size() <= kRingSamples.
  void mix(Interval iv, std::span<const float> block, float gain, bool solo);

  /// Zeroes all four rings entirely (a new song starts) and the bitmap.
  void wipe();

  void read_audio(Interval iv, std::span<float> out) const { audio_.read(iv, out); }
  void read_backing(Interval iv, std::span<float> out) const { backing_.read(iv, out); }
  void read_solo(Interval iv, std::span<float> out) const { solo_.read(iv, out); }
  void read_writers(Interval iv, std::span<WriterCount> out) const { writers_.read(iv, out); }

  /// The backing ring, for whoever refills the span just cleared (track, metronome).
  Ring<float>& backing() { return backing_; }
  const Ring<float>& audio() const { return audio_; }
  const Occupancy& occupancy() const { return occupancy_; }

  /// Copies the bitmap and the clock it describes (O(words), no allocation).
  void snapshot(OccupancySnapshot& out) const;

 private:
  Ring<float> audio_;
  Ring<float> backing_;
  Ring<float> solo_;
  Ring<WriterCount> writers_;
  Occupancy occupancy_;
  std::optional<Clock> cleared_to_;
};

}  // namespace brigade
