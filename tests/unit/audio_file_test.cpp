// Unit tests: decoding uploaded audio files (libsndfile behind decode_audio_file). The files are
// made here with libsndfile's own writers, so every fixture is our own generated tone.
#include "brigade/storage/audio_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "brigade/constants.hpp"
#include "client/tone.hpp"
#include "support/audio_encode.hpp"

namespace brigade {
namespace {

using client::EncodedFormat;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// `seconds` of a `hz` tone at `rate`, the same in every one of `channels` channels.
std::vector<float> interleaved_tone(double hz, int rate, int channels, double seconds) {
  const auto frames = static_cast<std::size_t>(rate * seconds);
  std::vector<float> out;
  for (std::size_t i = 0; i < frames; ++i) {
    const float v =
        0.5f * static_cast<float>(std::sin(2 * M_PI * hz * static_cast<double>(i) / rate));
    for (int c = 0; c < channels; ++c) out.push_back(v);
  }
  return out;
}

/// Ratio of the tone's Goertzel power to the power 100 Hz above it, over the middle second.
double tone_contrast(const std::vector<float>& pcm, double hz) {
  const auto mid =
      std::span(pcm).subspan(pcm.size() / 4, static_cast<std::size_t>(kSampleRate) / 2);
  return client::goertzel_power(mid, hz) / (client::goertzel_power(mid, hz + 100) + 1e-12);
}

TEST(AudioFile, SniffsContainersByTheirFirstBytes) {
  auto sniff = [](std::string s) { return sniff_audio_container(bytes_of(s)); };
  EXPECT_EQ(sniff(std::string("RIFF\0\0\0\0WAVE", 12)), AudioContainer::kWav);
  EXPECT_EQ(sniff("ID3\x04"), AudioContainer::kMp3);
  EXPECT_EQ(sniff(std::string("\xFF\xFB\x90\x00", 4)),
            AudioContainer::kMp3);  // MPEG-1 layer III frame
  EXPECT_EQ(sniff(std::string("\xFF\xFD\x90\x00", 4)),
            AudioContainer::kUnknown);  // layer II: not MP3
  EXPECT_EQ(sniff("fLaC"), AudioContainer::kFlac);
  EXPECT_EQ(sniff("OggS"), AudioContainer::kOgg);
  EXPECT_EQ(sniff("FORM\0\0\0\0AIFF"), AudioContainer::kUnknown);  // std::string stops at NUL
  EXPECT_EQ(sniff(std::string("FORM\0\0\0\0AIFF", 12)), AudioContainer::kAiff);
  EXPECT_EQ(sniff("\x89PNG\r\n\x1a\n"), AudioContainer::kUnknown);
  EXPECT_EQ(sniff(""), AudioContainer::kUnknown);
}

TEST(AudioFile, Mp3StereoAt44kDecodesToTheToneAt48kMono) {
  const std::string mp3 =
      client::encode_audio(interleaved_tone(440.0, 44'100, 2, 2.0), 44'100, 2, EncodedFormat::kMp3);
  ASSERT_EQ(sniff_audio_container(bytes_of(mp3)), AudioContainer::kMp3);
  auto pcm = decode_audio_file(bytes_of(mp3), 600);
  ASSERT_TRUE(pcm) << pcm.error();
  // 2 s at 48 kHz, within an MP3 frame of encoder padding.
  EXPECT_NEAR(static_cast<double>(pcm.value().size()), 2.0 * kSampleRate, 1152.0 * 48 / 44.1);
  EXPECT_GT(tone_contrast(pcm.value(), 440.0), 1e3);
  const double rms = std::sqrt(
      client::mean_square(std::span(pcm.value()).subspan(pcm.value().size() / 4, kSampleRate / 2)));
  EXPECT_NEAR(rms, 0.5 / std::sqrt(2.0), 0.05);
}

TEST(AudioFile, FlacAt48kKeepsEverySampleAndOggIsRefused) {
  const std::vector<float> tone = interleaved_tone(660.0, kSampleRate, 1, 1.0);
  const std::string flac = client::encode_audio(tone, kSampleRate, 1, EncodedFormat::kFlac);
  auto pcm = decode_audio_file(bytes_of(flac), 600);
  ASSERT_TRUE(pcm) << pcm.error();
  ASSERT_EQ(pcm.value().size(), tone.size());
  // Lossless: every sample is the 16-bit value libsndfile wrote (x · 32767, rounded) / 32768.
  for (std::size_t i = 0; i < tone.size(); ++i) {
    const double as_int = pcm.value()[i] * 32768.0;
    ASSERT_EQ(as_int, std::round(as_int)) << i;
    ASSERT_NEAR(as_int, tone[i] * 32767.0, 0.5 + 1e-9) << i;
  }

  const std::string ogg = client::encode_audio(interleaved_tone(660.0, 22'050, 1, 1.0), 22'050, 1,
                                               EncodedFormat::kOggVorbis);
  ASSERT_EQ(sniff_audio_container(bytes_of(ogg)), AudioContainer::kOgg);
  EXPECT_FALSE(is_decodable(AudioContainer::kOgg));
  auto vorbis = decode_audio_file(bytes_of(ogg), 600);
  ASSERT_FALSE(vorbis);
  EXPECT_NE(vorbis.error().find("Ogg files are not accepted"), std::string::npos);
}

TEST(AudioFile, FloatWavOutOfRangeAndNonFiniteSamplesComeOutBounded) {
  const std::vector<float> wild = {0.25f, 2.0f, -3.0f, NAN, INFINITY, -INFINITY, -0.5f};
  const std::string wav = client::encode_audio(wild, kSampleRate, 1, EncodedFormat::kWavFloat);
  auto pcm = decode_audio_file(bytes_of(wav), 600);
  ASSERT_TRUE(pcm) << pcm.error();
  EXPECT_EQ(pcm.value(), (std::vector<float>{0.25f, 1.0f, -1.0f, 0.0f, 0.0f, 0.0f, -0.5f}));
}

TEST(AudioFile, RefusesJunkMismatchesTruncationAndLength) {
  auto error_of = [](const std::string& s, std::uint32_t max_seconds = 600) {
    auto r = decode_audio_file(bytes_of(s), max_seconds);
    return r ? std::string("ok") : r.error();
  };
  EXPECT_NE(error_of("plain text").find("not an audio file"), std::string::npos);
  EXPECT_NE(error_of("").find("not an audio file"), std::string::npos);
  // AIFF decodes too (the fourth accepted container).
  const std::string aiff = client::encode_audio(interleaved_tone(440.0, kSampleRate, 1, 0.5),
                                                kSampleRate, 1, EncodedFormat::kAiff16);
  EXPECT_EQ(error_of(aiff), "ok");
  EXPECT_NE(error_of("ID3 this is an mp3, honest").find("MP3"), std::string::npos)
      << error_of("ID3 this is an mp3, honest");
  // A FLAC stream behind a WAV signature is refused, never read as what it is.
  const std::string flac = client::encode_audio(interleaved_tone(440.0, kSampleRate, 1, 2.0),
                                                kSampleRate, 1, EncodedFormat::kFlac);
  EXPECT_NE(error_of(std::string("RIFF\0\0\0\0WAVE", 12) + flac), "ok");
  // A header cut short: an error, not a crash.
  EXPECT_NE(error_of(flac.substr(0, 20)), "ok");
  // Longer than allowed: refused from the announced length (2 s > 1 s).
  EXPECT_NE(error_of(flac, 1).find("longer than 1 s"), std::string::npos) << error_of(flac, 1);
  // Truncated MP3 data decodes what is there or fails cleanly.
  const std::string mp3 = client::encode_audio(interleaved_tone(440.0, kSampleRate, 1, 1.0),
                                               kSampleRate, 1, EncodedFormat::kMp3);
  const std::string cut = error_of(mp3.substr(0, mp3.size() / 2));
  EXPECT_TRUE(cut == "ok" || !cut.empty());
}

}  // namespace
}  // namespace brigade
