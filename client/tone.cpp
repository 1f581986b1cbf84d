// brigade client: test signals (see tone.hpp).
#include "client/tone.hpp"

#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace brigade::client {

std::vector<float> sine(double freq_hz, float amplitude, std::size_t n, Clock start) {
  std::vector<float> out(n);
  // A frequency in whole millihertz completes whole cycles every 1000 s, so reducing the
  // absolute clock modulo 1000 s first keeps full precision at clocks near 8e13.
  const double cycles_per_sample = freq_hz / kSampleRate;
  const Clock reduced = start % (Clock{1000} * kSampleRate);
  const double start_phase = std::fmod(static_cast<double>(reduced) * cycles_per_sample, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double phase = start_phase + static_cast<double>(i) * cycles_per_sample;
    out[i] = amplitude * static_cast<float>(std::sin(2.0 * std::numbers::pi * phase));
  }
  return out;
}

double goertzel_power(std::span<const float> block, double freq_hz) {
  if (block.empty()) return 0.0;
  const double w = 2.0 * std::numbers::pi * freq_hz / kSampleRate;
  const double coeff = 2.0 * std::cos(w);
  double s1 = 0.0, s2 = 0.0;
  for (const float x : block) {
    const double s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const double n = static_cast<double>(block.size());
  return power / (n * n);
}

double mean_square(std::span<const float> block) {
  if (block.empty()) return 0.0;
  double sum = 0.0;
  for (const float x : block) sum += double{x} * x;
  return sum / static_cast<double>(block.size());
}

std::vector<Packet> OpusPipe::encode(std::span<const float> pcm) {
  if (pcm.size() % kOpusFrameSamples != 0)
    throw std::invalid_argument("PCM length is not a multiple of 2880 samples");
  std::vector<Packet> out;
  std::array<std::uint8_t, 4000> scratch{};
  for (std::size_t at = 0; at < pcm.size(); at += kOpusFrameSamples) {
    const int n = encoder_.encode(pcm.subspan(at, kOpusFrameSamples), scratch);
    if (n < 0) throw codec::OpusError("opus_encode_float", n);
    out.emplace_back(scratch.begin(), scratch.begin() + n);
  }
  return out;
}

std::vector<float> OpusPipe::decode(std::span<const Packet> packets) {
  std::vector<float> out;
  std::vector<float> scratch(codec::kMaxPacketSamples);
  for (const auto& p : packets) {
    const int n = decoder_.decode(p, scratch);
    if (n < 0) throw codec::OpusError("opus_decode_float", n);
    out.insert(out.end(), scratch.begin(), scratch.begin() + n);
  }
  return out;
}

void OpusPipe::reset() {
  encoder_.reset();
  decoder_.reset();
}

}  // namespace brigade::client
