// brigade: the API's "friendly" volume scale and the reply mix formula.
#pragma once

#include <span>

#include "brigade/engine/ring_set.hpp"

namespace brigade {

/// friendly → scalar: exp(6.908 f) / 1000 (0 for f < 1e-7). friendly 1 ≈ ×1.0.
double friendly_to_scalar(double friendly);
/// scalar → friendly: ln(1000 s) / 6.908 (0 for s < 1e-4).
double scalar_to_friendly(double scalar);
/// Gain applied to a singer's uploads for a console value v in [0, 2]: 1 → ×1, 0 → 0.
float mic_gain(double console_value);
/// Extra gain on the leader's uploads: friendly(1.1) ≈ 1.9958.
float leader_boost();

/// Everything the reply formula needs besides the samples.
struct ReplyLevels {
  float global_volume = 1.2f;   ///< scalar
  float backing_volume = 1.0f;  ///< scalar, room-wide
  float backing_factor = 0.2f;  ///< 1 with a metronome (bpm > 0), else 0.2
  float user_backing = 1.0f;    ///< scalar, this listener's own backing level
  bool auto_gain = true;        ///< scale the mix by sqrt(3 / (writers + 2))
};

/// In place: audio = (audio * g_auto(writers) + backing * backing_volume * backing_factor *
/// user_backing) * global_volume. All spans have the same length. Vectorized; no allocation.
void render_reply(std::span<float> audio, std::span<const float> backing,
                  std::span<const WriterCount> writers, const ReplyLevels& levels);

/// Root mean square of a block (0 for an empty one).
float rms(std::span<const float> block);

/// Largest absolute sample of a block (0 for an empty one).
float peak(std::span<const float> block);

}  // namespace brigade
