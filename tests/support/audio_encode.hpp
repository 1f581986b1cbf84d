// brigade tests: audio files made in the test itself (libsndfile's writers: MP3 via LAME, FLAC,
// Ogg Vorbis, WAV), so that no third-party recording is needed as a fixture.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace brigade::client {

enum class EncodedFormat { kMp3, kFlac, kOggVorbis, kWav16, kWavFloat, kAiff16 };

/// The file image of `samples` (frames of `channels` interleaved values in [-1, 1]) at `rate`
/// Hz in `format`. Throws std::runtime_error when libsndfile cannot write it.
std::string encode_audio(std::span<const float> samples, int rate, int channels,
                         EncodedFormat format);

}  // namespace brigade::client
