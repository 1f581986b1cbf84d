// brigade fuzzing: the WAV reader (uploads and the tracks folder).
#include <cmath>

#include "brigade/storage/wav.hpp"
#include "fuzz_target.hpp"

namespace brigade::fuzz {

Outcome wav_input(Input bytes) {
  const auto r = read_wav(bytes);
  if (!r.ok()) {
    BRIGADE_FUZZ_CHECK(!r.error().empty());
    return Outcome::kRefused;
  }
  // Every output sample comes from at least one input byte, upsampled at most 48000/8000 times.
  const std::size_t max_out = bytes.size() * (kSampleRate / kMinWavSampleRateHz) + 1;
  BRIGADE_FUZZ_CHECK(r.value().size() <= max_out);
  for (const float v : r.value()) BRIGADE_FUZZ_CHECK(std::isfinite(v) && std::abs(v) <= 1.0f);
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
