#include "brigade/engine/volume.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace brigade {
namespace {

TEST(Volume, FriendlyScalarRoundTrip) {
  for (double f = 0.05; f <= 2.0; f += 0.05) {
    EXPECT_NEAR(scalar_to_friendly(friendly_to_scalar(f)), f, 1e-12) << f;
  }
  for (double s : {0.002, 0.01, 0.2, 1.0, 1.2, 31.6, 1000.0}) {
    EXPECT_NEAR(friendly_to_scalar(scalar_to_friendly(s)), s, 1e-12 * s) << s;
  }
}

TEST(Volume, FriendlyScaleAnchors) {
  // exp(6.908 f) / 1000: f = 1 is ×1 within the rounding of 6.908 ≈ ln 1000.
  EXPECT_NEAR(friendly_to_scalar(1.0), std::exp(6.908) / 1000.0, 1e-15);
  EXPECT_NEAR(friendly_to_scalar(1.0), 1.0, 1e-3);
  EXPECT_NEAR(friendly_to_scalar(0.5), std::sqrt(std::exp(6.908)) / 1000.0, 1e-15);
  // The documented defaults: global 1.2 → ≈1.0264, backing 1.0 → ≈0.99996.
  EXPECT_NEAR(scalar_to_friendly(1.2), 1.0264, 1e-4);
  EXPECT_NEAR(scalar_to_friendly(1.0), 0.99996, 1e-5);
}

TEST(Volume, ThresholdsGiveZero) {
  EXPECT_EQ(friendly_to_scalar(0.0), 0.0);
  EXPECT_EQ(friendly_to_scalar(0.99e-7), 0.0);
  EXPECT_EQ(friendly_to_scalar(-1.0), 0.0);
  EXPECT_GT(friendly_to_scalar(1e-6), 0.0);
  EXPECT_EQ(scalar_to_friendly(0.0), 0.0);
  EXPECT_EQ(scalar_to_friendly(0.99e-4), 0.0);
  EXPECT_GT(scalar_to_friendly(0.01), 0.0);
  // Scalar 0.001 is friendly 0, which maps back to silence (not to 0.001).
  EXPECT_NEAR(scalar_to_friendly(0.001), 0.0, 1e-12);
  EXPECT_EQ(friendly_to_scalar(scalar_to_friendly(0.001)), 0.0);
}

TEST(Volume, MicGain) {
  EXPECT_FLOAT_EQ(mic_gain(1.0), 1.0f);
  EXPECT_EQ(mic_gain(0.0), 0.0f);
  // 2 → exp(3.454) ≈ 31.6.
  EXPECT_NEAR(mic_gain(2.0), std::exp(3.454), 1e-3);
  EXPECT_NEAR(mic_gain(2.0), 31.6, 0.05);
  // Monotonic over the console range.
  float previous = mic_gain(0.0);
  for (double v = 0.1; v <= 2.0; v += 0.1) {
    const float g = mic_gain(v);
    EXPECT_GT(g, previous) << v;
    previous = g;
  }
}

TEST(Volume, LeaderBoost) {
  EXPECT_NEAR(leader_boost(), 1.9958, 1e-4);
  EXPECT_FLOAT_EQ(leader_boost(), static_cast<float>(std::exp(6.908 * 1.1) / 1000.0));
}

// The reply formula written out per sample in double precision, independently of Eigen.
std::vector<float> reference_reply(const std::vector<float>& audio,
                                   const std::vector<float>& backing,
                                   const std::vector<WriterCount>& writers, const ReplyLevels& l) {
  std::vector<float> out(audio.size());
  for (std::size_t i = 0; i < audio.size(); ++i) {
    const double g = l.auto_gain ? std::sqrt(3.0 / (writers[i] + 2.0)) : 1.0;
    const double b = double{backing[i]} * l.backing_volume * l.backing_factor * l.user_backing;
    out[i] = static_cast<float>((audio[i] * g + b) * l.global_volume);
  }
  return out;
}

struct ReplyCase {
  std::vector<float> audio, backing;
  std::vector<WriterCount> writers;
};

ReplyCase random_case(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> sample(-1.0f, 1.0f);
  std::uniform_int_distribution<int> count(0, 12);
  ReplyCase c;
  c.audio.resize(n);
  c.backing.resize(n);
  c.writers.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    c.audio[i] = sample(rng);
    c.backing[i] = sample(rng);
    c.writers[i] = static_cast<WriterCount>(count(rng));
  }
  return c;
}

void expect_matches_reference(const ReplyCase& c, const ReplyLevels& levels) {
  std::vector<float> out = c.audio;
  render_reply(out, c.backing, c.writers, levels);
  const auto expected = reference_reply(c.audio, c.backing, c.writers, levels);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_NEAR(out[i], expected[i], 1e-5f * (1.0f + std::abs(expected[i]))) << i;
  }
}

TEST(RenderReply, MatchesTheScalarFormulaWithAutoGain) {
  // 28 800 samples (a 600 ms reply) and an odd length (vector tail).
  expect_matches_reference(random_case(28'800, 1), ReplyLevels{});
  expect_matches_reference(random_case(1'001, 2), ReplyLevels{.global_volume = 0.7f,
                                                              .backing_volume = 1.3f,
                                                              .backing_factor = 1.0f,
                                                              .user_backing = 0.4f,
                                                              .auto_gain = true});
}

TEST(RenderReply, MatchesTheScalarFormulaWithoutAutoGain) {
  expect_matches_reference(random_case(28'800, 3), ReplyLevels{.global_volume = 1.2f,
                                                               .backing_volume = 1.0f,
                                                               .backing_factor = 0.2f,
                                                               .user_backing = 1.0f,
                                                               .auto_gain = false});
}

TEST(RenderReply, AutoGainIsSqrtThreeOverWritersPlusTwo) {
  // Only audio, unit global volume: the output is the auto-gain itself.
  const std::vector<WriterCount> writers{0, 1, 2, 3, 10};
  std::vector<float> audio(writers.size(), 1.0f);
  const std::vector<float> backing(writers.size(), 0.0f);
  ReplyLevels levels;
  levels.global_volume = 1.0f;
  render_reply(audio, backing, writers, levels);
  EXPECT_FLOAT_EQ(audio[0], std::sqrt(1.5f));
  EXPECT_FLOAT_EQ(audio[1], 1.0f);  // one singer: unchanged
  EXPECT_FLOAT_EQ(audio[2], std::sqrt(0.75f));
  EXPECT_FLOAT_EQ(audio[3], std::sqrt(0.6f));
  EXPECT_FLOAT_EQ(audio[4], std::sqrt(0.25f));

  std::vector<float> flat(writers.size(), 1.0f);
  levels.auto_gain = false;
  render_reply(flat, backing, writers, levels);
  for (float x : flat) EXPECT_FLOAT_EQ(x, 1.0f);
}

TEST(RenderReply, DefaultLevelsScaleBackingByPointTwoAndEverythingByGlobalVolume) {
  const std::vector<WriterCount> writers{1};
  std::vector<float> audio{0.0f};
  const std::vector<float> backing{1.0f};
  render_reply(audio, backing, writers, ReplyLevels{});
  EXPECT_FLOAT_EQ(audio[0], 0.2f * 1.2f);
}

TEST(Rms, OfKnownBlocks) {
  EXPECT_EQ(rms(std::vector<float>{}), 0.0f);
  EXPECT_FLOAT_EQ(rms(std::vector<float>(100, -0.5f)), 0.5f);
  EXPECT_FLOAT_EQ(rms(std::vector<float>{3.0f, 4.0f}), std::sqrt(12.5f));
  // A full-scale sine has RMS 1/sqrt(2).
  std::vector<float> sine(48'000);
  for (std::size_t i = 0; i < sine.size(); ++i) {
    sine[i] = static_cast<float>(
        std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / 48'000));
  }
  EXPECT_NEAR(rms(sine), 1.0 / std::sqrt(2.0), 1e-4);
}

TEST(Peak, IsTheLargestMagnitudeWhereverItSits) {
  EXPECT_EQ(peak(std::vector<float>{}), 0.0f);
  // A negative extreme counts by its magnitude, at the start, the middle, the end or in a
  // tail shorter than one vector register.
  for (const std::size_t size : {std::size_t{1}, std::size_t{7}, std::size_t{28'800}}) {
    for (const std::size_t at : {std::size_t{0}, size / 2, size - 1}) {
      std::vector<float> block(size, 0.25f);
      block[at] = -0.9f;
      EXPECT_FLOAT_EQ(peak(block), 0.9f) << "size " << size << " at " << at;
    }
  }
}

}  // namespace
}  // namespace brigade
