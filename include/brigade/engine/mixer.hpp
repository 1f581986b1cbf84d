// brigade: the mixer: the room's rings (audio, backing, solo, writer counts, occupancy) and the
// three things done to them under the room lock: clear ahead of now, mix an upload, copy a
// window out. Not thread-safe: the room's lock guards it.
#pragma once

#include <cstdint>
#include <span>

#include "brigade/engine/buckets.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/engine/ring_set.hpp"
#include "brigade/engine/song.hpp"

namespace brigade {

class Mixer {
 public:
  /// Clears what came up ahead of the leader since the last call, refilling the song's backing
  /// there; returns the span cleared.
  Interval clear_to(Clock now, const Song& song);
  /// Writes the song's backing (track or metronome) into `span`, cut to the song.
  void fill_backing(Interval span, const Song& song);
  /// Mixes `upload` at `iv` with `gain`, and its copies one round later each when the song
  /// sings rounds (only copies that already lie in the past of `now`).
  void mix(Interval iv, std::span<const float> upload, float gain, bool soloed,
           const RoundsConfig& rounds, Clock now);
  /// Copies the mix at `iv` (audio, backing, writer counts) into `buffers`.
  void read_mix(Interval iv, ExchangeBuffers buffers) const;
  /// How many singers wrote the sample at `at` (who is heard at the start of a reply).
  WriterCount writers_at(Clock at) const {
    WriterCount n = 0;
    rings_.read_writers({at, at + 1}, std::span(&n, 1));
    return n;
  }
  void read_solo(Interval iv, std::span<float> out) const { rings_.read_solo(iv, out); }
  /// Silences every ring (a new song starts from silence).
  void wipe() { rings_.wipe(); }

  std::optional<Clock> cleared_to() const { return rings_.cleared_to(); }
  void snapshot(OccupancySnapshot& out) const { rings_.snapshot(out); }
  bool allocated() const {
    return rings_.audio().data().size() == static_cast<std::size_t>(kRingSamples);
  }
  std::uint64_t clears() const { return clears_; }
  std::uint64_t cleared_samples() const { return cleared_samples_; }

 private:
  RingSet rings_;
  std::uint64_t clears_ = 0;
  std::uint64_t cleared_samples_ = 0;
};

}  // namespace brigade
