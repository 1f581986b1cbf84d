// brigade client: test signals and their Opus round trip: sine generator, Goertzel detector,
// encoding PCM into the API's 60 ms packets and decoding reply packets.
#pragma once

#include <span>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/constants.hpp"
#include "client/api_wire.hpp"

namespace brigade::client {

/// `n` samples of amplitude·sin(2π·freq·(start + i)/kSampleRate). `start` is an absolute
/// sample clock, so consecutive blocks join without a phase jump (exact for frequencies in
/// whole millihertz).
std::vector<float> sine(double freq_hz, float amplitude, std::size_t n, Clock start = 0);

/// Goertzel power of `freq_hz` in `block`, normalised so that a full-block sine of amplitude
/// A gives ≈ A²/4 (independent of the block length). 0 for an empty block.
double goertzel_power(std::span<const float> block, double freq_hz);

/// Mean square of a block (A²/2 for a sine of amplitude A); 0 for an empty block.
double mean_square(std::span<const float> block);

/// One singer's codec pair, as the browser has: a persistent encoder for uploads and a
/// persistent decoder for replies. Not thread-safe.
class OpusPipe {
 public:
  /// Encodes `pcm` (a multiple of kOpusFrameSamples long) into 60 ms packets. Throws
  /// std::invalid_argument on a bad length, codec::OpusError when libopus fails.
  std::vector<Packet> encode(std::span<const float> pcm);
  /// Decodes packets and concatenates their PCM. Throws codec::OpusError on a bad packet.
  std::vector<float> decode(std::span<const Packet> packets);
  /// Fresh codec states (as after reset_user_state).
  void reset();

 private:
  codec::Encoder encoder_;
  codec::Decoder decoder_;
};

}  // namespace brigade::client
