// Tests of the test-signal helpers: the detector must tell a tone from silence and from other
// tones, also after an Opus round trip, or the integration tests' audio checks prove nothing.
#include "client/tone.hpp"

#include <gtest/gtest.h>

namespace brigade::client {
namespace {

TEST(Goertzel, MeasuresTheToneItIsTunedTo) {
  const auto s = sine(440.0, 0.5f, 28'800);
  EXPECT_NEAR(goertzel_power(s, 440.0), 0.25 * 0.25, 0.002);
  EXPECT_LT(goertzel_power(s, 1000.0), 1e-5);
  EXPECT_NEAR(mean_square(s), 0.125, 0.001);
  EXPECT_EQ(goertzel_power(std::vector<float>(2880, 0.0f), 440.0), 0.0);
  EXPECT_EQ(goertzel_power({}, 440.0), 0.0);
}

TEST(Sine, ConsecutiveBlocksJoinWithoutPhaseJump) {
  const Clock start = 81'600'000'028'800;  // a realistic absolute clock
  const auto whole = sine(440.0, 1.0f, 5760, start);
  const auto first = sine(440.0, 1.0f, 2880, start);
  const auto second = sine(440.0, 1.0f, 2880, start + 2880);
  for (std::size_t i = 0; i < 2880; ++i) {
    EXPECT_NEAR(whole[i], first[i], 1e-4);
    EXPECT_NEAR(whole[2880 + i], second[i], 1e-4);
  }
}

TEST(OpusPipe, ToneSurvivesARoundTrip) {
  OpusPipe pipe;
  const auto pcm = sine(440.0, 0.5f, 10 * kOpusFrameSamples);
  const auto packets = pipe.encode(pcm);
  ASSERT_EQ(packets.size(), 10u);
  const auto decoded = pipe.decode(packets);
  ASSERT_EQ(decoded.size(), pcm.size());
  // Skip the codec's start-up; the rest carries the tone and nothing at 1 kHz.
  const std::span<const float> tail(decoded.data() + 2880, decoded.size() - 2880);
  EXPECT_GT(goertzel_power(tail, 440.0), 0.25 * 0.0625);
  EXPECT_LT(goertzel_power(tail, 1000.0), 1e-4);
}

TEST(OpusPipe, RejectsBadInput) {
  OpusPipe pipe;
  EXPECT_THROW(pipe.encode(std::vector<float>(100)), std::invalid_argument);
  const std::vector<Packet> garbage = {Packet{0xff, 0xff, 0xff}};
  EXPECT_THROW(pipe.decode(garbage), codec::OpusError);
}

}  // namespace
}  // namespace brigade::client
