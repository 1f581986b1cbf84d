#include "brigade/codec/opus_codec.hpp"

#include <gtest/gtest.h>

#include "client/tone.hpp"

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace brigade::codec {
namespace {

constexpr std::size_t kFrame = kOpusFrameSamples;

std::vector<float> sine(double hz, std::size_t n, float amplitude = 0.5f) {
  return client::sine(hz, amplitude, n);
}

using client::goertzel_power;

struct Encoded {
  std::vector<std::vector<std::uint8_t>> packets;
};

Encoded encode_all(Encoder& enc, const std::vector<float>& pcm) {
  Encoded out;
  std::vector<std::uint8_t> scratch(4000);
  for (std::size_t at = 0; at + kFrame <= pcm.size(); at += kFrame) {
    const int n = enc.encode(std::span(pcm).subspan(at, kFrame), scratch);
    EXPECT_GT(n, 0) << error_text(n);
    if (n <= 0) break;
    EXPECT_LE(static_cast<std::size_t>(n), kMaxReplyPacketBytes);
    out.packets.emplace_back(scratch.begin(), scratch.begin() + n);
  }
  return out;
}

std::vector<float> decode_all(Decoder& dec, const Encoded& e) {
  std::vector<float> pcm;
  std::vector<float> scratch(kMaxPacketSamples);
  for (const auto& p : e.packets) {
    const int n = dec.decode(p, scratch);
    EXPECT_EQ(n, static_cast<int>(kFrame)) << error_text(n);
    if (n <= 0) break;
    pcm.insert(pcm.end(), scratch.begin(), scratch.begin() + n);
  }
  return pcm;
}

TEST(OpusCodec, A440ToneSurvivesEncodeAndDecode) {
  const auto input = sine(440.0, 20 * kFrame);  // 1.2 s
  Encoder enc;
  Decoder dec;
  const Encoded e = encode_all(enc, input);
  ASSERT_EQ(e.packets.size(), 20u);
  const auto output = decode_all(dec, e);
  ASSERT_EQ(output.size(), input.size());
  // Skip the codec's start-up; look at the last half second.
  const std::span<const float> tail(output.data() + output.size() - 24'000, 24'000);
  const double tone = goertzel_power(tail, 440.0);
  // A full-scale-ish sine of amplitude a has Goertzel power a^2/4 by this normalization.
  EXPECT_GT(tone, 0.25 * 0.25 / 4 * 0.5);
  for (double other : {220.0, 660.0, 880.0, 1000.0, 3000.0}) {
    EXPECT_LT(goertzel_power(tail, other), tone / 100) << other << " Hz";
  }
  // Loudness is preserved within a few dB.
  double sum = 0;
  for (float v : tail) sum += double{v} * v;
  const double rms = std::sqrt(sum / static_cast<double>(tail.size()));
  EXPECT_NEAR(rms, 0.5 / std::sqrt(2.0), 0.1);
}

TEST(OpusCodec, SilenceStaysQuiet) {
  Encoder enc;
  Decoder dec;
  const auto output = decode_all(dec, encode_all(enc, std::vector<float>(5 * kFrame, 0.0f)));
  ASSERT_EQ(output.size(), 5 * kFrame);
  for (float v : output) ASSERT_LT(std::abs(v), 1e-3f);
}

TEST(OpusCodec, EncodeRefusesAFrameOfTheWrongLength) {
  Encoder enc;
  std::vector<std::uint8_t> out(4000);
  EXPECT_LT(enc.encode(std::vector<float>(kFrame - 1, 0.0f), out), 0);
  EXPECT_LT(enc.encode(std::vector<float>(2 * kFrame, 0.0f), out), 0);
  EXPECT_LT(enc.encode({}, out), 0);
}

TEST(OpusCodec, DecodeOfInvalidPacketsReturnsANegativeCode) {
  Decoder dec;
  std::vector<float> out(kMaxPacketSamples);
  // Empty (would mean packet loss), code-3 with zero frames, code-3 with 64 frames (> 120 ms),
  // code-2 whose first frame length runs past the packet.
  const std::vector<std::vector<std::uint8_t>> bad{
      {}, {0x03, 0x00}, {0x03, 0x40}, {0x02, 0xFB}, {0x02, 0xFC, 0x05}};
  for (const auto& p : bad) {
    const int n = dec.decode(p, out);
    EXPECT_LT(n, 0) << "packet of " << p.size() << " bytes";
    EXPECT_FALSE(error_text(n).empty());
  }
  // The decoder still works afterwards.
  Encoder enc;
  EXPECT_EQ(decode_all(dec, encode_all(enc, sine(440.0, 2 * kFrame))).size(), 2 * kFrame);
}

TEST(OpusCodec, DecodeOfRandomGarbageNeverOverrunsAndEitherFailsOrFitsTheBuffer) {
  Decoder dec;
  std::vector<float> out(kMaxPacketSamples);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(1, 1500);
  int failures = 0;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::uint8_t> p(static_cast<std::size_t>(length(rng)));
    for (auto& b : p) b = static_cast<std::uint8_t>(byte(rng));
    const int n = dec.decode(p, out);
    if (n < 0) {
      ++failures;
    } else {
      EXPECT_LE(static_cast<std::size_t>(n), kMaxPacketSamples);
    }
  }
  EXPECT_GT(failures, 0);
  // A too-small output buffer is an error, not an overrun.
  Encoder enc;
  std::vector<std::uint8_t> packet(4000);
  const int size = enc.encode(sine(440.0, kFrame), packet);
  ASSERT_GT(size, 0);
  std::vector<float> small(kFrame / 2);
  EXPECT_LT(dec.decode(std::span(packet).first(static_cast<std::size_t>(size)), small), 0);
}

TEST(OpusCodec, ResetReturnsToTheFreshState) {
  const auto a = sine(440.0, 6 * kFrame);
  const auto b = sine(1234.0, 6 * kFrame, 0.3f);

  Encoder fresh_enc;
  const Encoded expected = encode_all(fresh_enc, b);
  Encoder used_enc;
  encode_all(used_enc, a);
  used_enc.reset();
  const Encoded after_reset = encode_all(used_enc, b);
  EXPECT_EQ(after_reset.packets, expected.packets);

  Decoder fresh_dec;
  const auto expected_pcm = decode_all(fresh_dec, expected);
  Decoder used_dec;
  decode_all(used_dec, encode_all(fresh_enc, a));
  used_dec.reset();
  EXPECT_EQ(decode_all(used_dec, expected), expected_pcm);

  // Without the reset the state carries over and the output differs.
  Encoder carried;
  encode_all(carried, a);
  EXPECT_NE(encode_all(carried, b).packets, expected.packets);
}

TEST(OpusCodec, ErrorTextAndException) {
  EXPECT_FALSE(error_text(-1).empty());
  const OpusError e("opus_decode_float", -4);
  EXPECT_EQ(e.code(), -4);
  EXPECT_NE(std::string(e.what()).find("opus_decode_float"), std::string::npos);
}

}  // namespace
}  // namespace brigade::codec

namespace brigade::codec {
namespace {

/// A 5 ms Hann-windowed burst at `hz` centred on sample `centre` of a silent stream.
std::vector<float> burst_at(std::size_t total, std::size_t centre, double hz) {
  constexpr std::size_t kBurst = 240;
  std::vector<float> pcm(total, 0.0f);
  for (std::size_t i = 0; i < kBurst; ++i) {
    const double t = static_cast<double>(i) - kBurst / 2.0;
    const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / kBurst);
    pcm[centre - kBurst / 2 + i] =
        static_cast<float>(0.3 * w * std::cos(2.0 * std::numbers::pi * hz * t / kSampleRate));
  }
  return pcm;
}

/// Lag (samples) at which `out` best matches `in` (plain cross-correlation, 0..max_lag).
int best_lag(const std::vector<float>& in, const std::vector<float>& out, int max_lag) {
  int best = 0;
  double best_score = -1e30;
  for (int lag = 0; lag <= max_lag; ++lag) {
    double score = 0.0;
    for (std::size_t i = 0; i + static_cast<std::size_t>(lag) < out.size(); ++i)
      score += static_cast<double>(in[i]) * out[i + static_cast<std::size_t>(lag)];
    if (score > best_score) {
      best_score = score;
      best = lag;
    }
  }
  return best;
}

// The timing check of brigade-loadtest and the page's write position both subtract this delay:
// if libopus (or our settings) changed it, every bucket would be off by the difference.
TEST(OpusCodecDelay, OneEncodeDecodePassDelaysByTheNamedConstant) {
  for (const double hz : {1'000.0, 3'000.0, 7'000.0}) {
    for (const std::size_t centre : {kFrame + 700, 2 * kFrame + 1'234, 3 * kFrame - 200}) {
      SCOPED_TRACE(testing::Message() << hz << " Hz burst at sample " << centre);
      const auto in = burst_at(5 * kFrame, centre, hz);
      Encoder enc;
      Decoder dec;
      const auto out = decode_all(dec, encode_all(enc, in));
      ASSERT_EQ(out.size(), in.size());
      EXPECT_EQ(best_lag(in, out, 1'000), kCodecDelaySamples);
    }
  }
}

// The load tester's echo singers may encode at complexity 0 (--encoder-complexity): cheaper,
// but on the same clock, or the timing check would measure the tester instead of the server.
TEST(OpusCodecDelay, LowestComplexityDelaysByTheSameConstant) {
  const auto in = burst_at(5 * kFrame, 2 * kFrame + 555, 2'000.0);
  Encoder cheap;
  cheap.set_complexity(0);
  Decoder dec;
  const auto out = decode_all(dec, encode_all(cheap, in));
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(best_lag(in, out, 1'000), kCodecDelaySamples);
  EXPECT_THROW(cheap.set_complexity(11), OpusError);  // libopus refuses it; so do we
}

// Two passes (singer → server, server → listener) add up: the delay is a constant, not a
// property of the stream's start.
TEST(OpusCodecDelay, TwoPassesDelayByTwiceTheConstant) {
  const auto in = burst_at(6 * kFrame, 2 * kFrame + 321, 2'000.0);
  Encoder e1, e2;
  Decoder d1, d2;
  const auto once = decode_all(d1, encode_all(e1, in));
  const auto twice = decode_all(d2, encode_all(e2, once));
  EXPECT_EQ(best_lag(in, twice, 1'500), 2 * kCodecDelaySamples);
}

}  // namespace
}  // namespace brigade::codec
