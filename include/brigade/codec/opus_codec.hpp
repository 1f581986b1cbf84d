// brigade: RAII Opus encoder and decoder for the API's format (48 kHz, mono, 60 ms frames).
//
// Thread safety: a codec is stateful and may be used by one thread at a time (opus.h's rule);
// it may move between threads. The server's per-singer lock is what enforces this.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "brigade/constants.hpp"

struct OpusEncoder;
struct OpusDecoder;

namespace brigade::codec {

/// Largest packet the browser client accepts (its buffer size); we never emit more.
inline constexpr std::size_t kMaxReplyPacketBytes = 3'832;
/// Largest PCM one packet can decode to: 120 ms (opus.h).
inline constexpr std::size_t kMaxPacketSamples = 5'760;
/// One encode + decode pass delays the audio by this many samples (6.5 ms: CELT's 2.5 ms
/// look-ahead plus 4 ms of delay compensation). Measured in tests/unit/opus_codec_test.cpp;
/// the singer page (web/session.js CODEC_DELAY) and the load tester's timing check use it.
inline constexpr int kCodecDelaySamples = 312;

/// A failed libopus call: names the call and carries libopus's error code.
class OpusError : public std::runtime_error {
 public:
  OpusError(const char* function, int code);
  int code() const { return code_; }

 private:
  int code_;
};

struct EncoderDeleter {
  void operator()(::OpusEncoder* e) const noexcept;
};
struct DecoderDeleter {
  void operator()(::OpusDecoder* d) const noexcept;
};

/// 48 kHz mono encoder, APPLICATION_AUDIO, library-default bitrate (as the original), signal
/// type MUSIC (CELT: a mix of voices is music, and SILK costs far more on quiet passages).
/// Always holds a valid handle: construction throws OpusError instead.
class Encoder {
 public:
  Encoder();
  /// Encodes exactly one 60 ms frame (kOpusFrameSamples samples) into `out`. Returns the
  /// packet size in bytes, or a negative libopus error code. Does not allocate.
  int encode(std::span<const float> frame, std::span<std::uint8_t> out);
  /// Back to the freshly-constructed state.
  void reset();
  /// Target bitrate in bits per second (the load tester imitates clients' upload rates).
  void set_bitrate(int bits_per_second);
  /// libopus's complexity, 0 (cheapest) to 10 (libopus's default, what the server uses). The
  /// load tester lowers it to simulate more singers per core; the codec delay does not change.
  void set_complexity(int complexity);

 private:
  std::unique_ptr<::OpusEncoder, EncoderDeleter> handle_;
};

/// 48 kHz mono decoder. Always holds a valid handle.
class Decoder {
 public:
  Decoder();
  /// Decodes one packet into `out` (size >= kMaxPacketSamples suffices for any packet).
  /// Returns the number of samples, or a negative libopus error code. Does not allocate.
  int decode(std::span<const std::uint8_t> packet, std::span<float> out);
  /// Back to the freshly-constructed state.
  void reset();

 private:
  std::unique_ptr<::OpusDecoder, DecoderDeleter> handle_;
};

/// libopus's text for an error code.
std::string error_text(int code);

}  // namespace brigade::codec
