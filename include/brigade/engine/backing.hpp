// brigade: what goes into the backing ring: a backing track and metronome clicks.
#pragma once

#include <span>

#include "brigade/engine/ring.hpp"

namespace brigade {

/// Length of one metronome click: 5 ms of a decaying 1.5 kHz tone (a single-sample impulse,
/// as the original wrote, barely survives Opus).
inline constexpr Clock kClickSamples = kSampleRate / 200;
/// Peak level of a click.
inline constexpr float kClickLevel = 0.8f;

/// One click's samples.
std::span<const float> metronome_click();

/// Samples between beats at `bpm` (integer division, as the original).
constexpr Clock beat_samples(int bpm) {
  return bpm > 0 ? Clock{kSampleRate} * 60 / bpm : 0;
}

/// Copies the part of `track` (whose first sample sits at clock `origin`) that falls inside
/// `span` into the ring.
void write_track(Ring<float>& ring, Interval span, Clock origin, std::span<const float> track);

/// Writes the clicks of a metronome whose beats fall at origin + k * beat (k >= 0) into the
/// part of `span` they cover. Work is proportional to the beats in the span.
void write_metronome(Ring<float>& ring, Interval span, Clock origin, Clock beat);

}  // namespace brigade
