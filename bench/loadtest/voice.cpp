// brigade-loadtest: voice-like test signal and its Opus packet pool (see voice.hpp).
#include "voice.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>

#include "brigade/codec/packet_container.hpp"
#include "brigade/constants.hpp"
#include "client/tone.hpp"

namespace brigade::loadtest {
namespace {

constexpr int kHarmonics = 24;
constexpr double kVibratoHz = 5.5;
constexpr double kVibratoDepth = 0.02;  ///< ±2 % of the fundamental
constexpr double kNoteSeconds = 0.8;
constexpr double kSyllableHz = 2.5;
constexpr float kPeak = 0.3f;
constexpr float kNoise = 0.006f;  ///< ≈ -35 dB below the voice

/// Gain of harmonic frequency f under two vowel formants (≈ "ah": 700 Hz and 1200 Hz).
double formant_gain(double f) {
  auto bump = [f](double centre, double width) {
    const double x = (f - centre) / width;
    return 1.0 / (1.0 + x * x);
  };
  return 0.15 + bump(700.0, 150.0) + 0.7 * bump(1200.0, 200.0);
}

}  // namespace

std::vector<float> voice_signal(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> step(-4, 4);
  std::normal_distribution<float> noise(0.0f, kNoise);
  const auto note_len = static_cast<std::size_t>(kNoteSeconds * kSampleRate);
  std::vector<float> out(n);
  double phase = 0.0;  // of the fundamental, in cycles
  int semitone = 0;
  double f0 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % note_len == 0) {
      semitone = std::clamp(semitone + step(rng), -7, 7);
      f0 = 165.0 * std::pow(2.0, semitone / 12.0);
    }
    const double t = static_cast<double>(i) / kSampleRate;
    const double f = f0 * (1.0 + kVibratoDepth * std::sin(2.0 * std::numbers::pi * kVibratoHz * t));
    phase += f / kSampleRate;
    phase -= std::floor(phase);
    double s = 0.0;
    for (int h = 1; h <= kHarmonics; ++h) {
      const double fh = f * h;
      if (fh > 8'000.0) break;
      s += formant_gain(fh) / h * std::sin(2.0 * std::numbers::pi * phase * h);
    }
    const double envelope = 0.55 + 0.45 * std::sin(2.0 * std::numbers::pi * kSyllableHz * t);
    out[i] = kPeak * static_cast<float>(0.5 * s * envelope) + noise(rng);
  }
  return out;
}

PacketPool::PacketPool(double seconds, std::uint32_t seed, int bitrate) {
  const auto frames =
      std::max<std::size_t>(1, static_cast<std::size_t>(seconds * kSampleRate / kOpusFrameSamples));
  const auto pcm = voice_signal(frames * kOpusFrameSamples, seed);
  codec::Encoder encoder;
  encoder.set_bitrate(bitrate);
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
  for (std::size_t f = 0; f < frames; ++f) {
    const int n = encoder.encode(
        std::span<const float>(pcm).subspan(f * kOpusFrameSamples, kOpusFrameSamples), packet);
    if (n < 0) throw codec::OpusError("opus_encode_float", n);
    packets_.emplace_back(packet.begin(), packet.begin() + n);
  }
}

void PacketPool::append_container(std::string& out, std::size_t first, std::size_t count) const {
  begin_container(out, count);
  for (std::size_t i = 0; i < count; ++i)
    append_packet(out, packets_[(first + i) % packets_.size()]);
}

double PacketPool::mean_packet_bytes() const {
  double total = 0.0;
  for (const auto& p : packets_) total += static_cast<double>(p.size());
  return packets_.empty() ? 0.0 : total / static_cast<double>(packets_.size());
}

}  // namespace brigade::loadtest
