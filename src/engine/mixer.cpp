// brigade: the mixer.
#include "brigade/engine/mixer.hpp"

#include "brigade/engine/backing.hpp"

namespace brigade {

Interval Mixer::clear_to(Clock now, const Song& song) {
  const Interval cleared = rings_.clear_to(now);
  if (!cleared.empty()) {
    ++clears_;
    cleared_samples_ += static_cast<std::uint64_t>(cleared.size());
  }
  fill_backing(cleared, song);
  return cleared;
}

void Mixer::fill_backing(Interval span, const Song& song) {
  if (span.empty()) return;
  span = song.timeline.clip(span);
  if (span.empty()) return;
  const Clock start = song.timeline.start();
  if (song.track) write_track(rings_.backing(), span, start, *song.track);
  if (song.metronome) {
    write_metronome(rings_.backing(), span, start, beat_samples(song.rounds.bpm));
  }
}

void Mixer::mix(Interval iv, std::span<const float> upload, float gain, bool soloed,
                const RoundsConfig& rounds, Clock now) {
  rings_.mix(iv, upload, gain, soloed);
  if (!rounds.enabled()) return;
  const auto round = static_cast<Clock>(60.0 / rounds.bpm * rounds.bpr * kSampleRate);
  for (int k = 1; k <= rounds.repeats; ++k) {
    const Interval copy{iv.begin + k * round, iv.end + k * round};
    if (copy.end <= now) rings_.mix(copy, upload, gain, false);
  }
}

void Mixer::read_mix(Interval iv, ExchangeBuffers buffers) const {
  rings_.read_audio(iv, buffers.audio);
  rings_.read_backing(iv, buffers.backing);
  rings_.read_writers(iv, buffers.writers);
}

}  // namespace brigade
