// brigade: decoding an uploaded audio file (WAV, MP3, FLAC, AIFF) from memory to mono 48 kHz
// samples, with libsndfile behind a virtual-I/O reader.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "brigade/result.hpp"

namespace brigade {

/// The containers decode_audio_file accepts, recognised by their first bytes.
enum class AudioContainer { kUnknown, kWav, kMp3, kFlac, kOgg, kAiff };

/// The container `bytes` starts like (RIFF/WAVE, RF64, ID3 or an MPEG audio frame sync,
/// fLaC, OggS, FORM/AIFF); kUnknown for anything else. Only the first 12 bytes are read.
AudioContainer sniff_audio_container(std::span<const std::uint8_t> bytes);

/// A short name for messages ("WAV", "MP3", ...).
std::string_view to_string(AudioContainer c);

/// True for the containers decode_audio_file decodes: WAV, MP3, FLAC and AIFF. Ogg is
/// recognised but refused: Debian 12's libsndfile 1.2.0 with libvorbis leaks about 6 KB on
/// every malformed Ogg Vorbis file it fails to open (found by our fuzz test under LSan), which
/// would let repeated bad uploads exhaust memory.
bool is_decodable(AudioContainer c);

/// The refusal for content that is not a decodable container.
inline constexpr std::string_view kNotDecodableMessage =
    "not an audio file we accept (WAV, MP3, FLAC or AIFF)";

/// Most decoded frames (before conversion to 48 kHz) decode_audio_file keeps: 10 minutes at
/// 96 kHz, 230 MB of mono floats. Bounds the memory of one decode whatever the compression.
inline constexpr std::uint64_t kMaxDecodedFrames = 600ull * 96'000;
/// Sample rates and channel counts decode_audio_file accepts.
inline constexpr int kMinDecodeSampleRateHz = 8'000;
inline constexpr int kMaxDecodeSampleRateHz = 192'000;
inline constexpr int kMaxDecodeChannels = 64;

/// Decodes a whole audio file image to mono 48 kHz samples in [-1, 1]: channels are averaged,
/// other rates resampled with resample_to_48k. Pure function of its input, safe to call from
/// any thread (no shared state). Refuses, with an Error naming the problem: a container that
/// is not is_decodable (checked before libsndfile sees the bytes), a container libsndfile reads as
/// another format, a decode error, no audio, more than `max_seconds` of audio (announced
/// lengths are checked before decoding) or more than kMaxDecodedFrames frames.
Result<std::vector<float>> decode_audio_file(std::span<const std::uint8_t> bytes,
                                             std::uint32_t max_seconds);

}  // namespace brigade
