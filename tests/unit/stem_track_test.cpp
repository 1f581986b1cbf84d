#include "brigade/storage/stem_track.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "client/tone.hpp"
#include "support/ogg_opus_file.hpp"
#include "support/temp_dir.hpp"

namespace brigade {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr Clock kFrame = kOpusFrameSamples;
constexpr Clock kSongStart = 1'000'000'000;
constexpr Clock kHour = Clock{3600} * kSampleRate;

/// Two tones whose sum repeats only after many periods, so that its alignment is unambiguous
/// (`seed` moves the lower one). Tonal on purpose: every decoder reproduces such a waveform
/// once it has seen one packet, while noise-like bands are filled from each decoder's own
/// random state.
std::vector<float> chords(std::size_t n, unsigned seed) {
  std::vector<float> out(n);
  const double f1 = 440.0 + 20.0 * seed;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kSampleRate;
    out[i] = static_cast<float>(0.2 * std::sin(2 * std::numbers::pi * f1 * t) +
                                0.1 * std::sin(2 * std::numbers::pi * 1237.0 * t));
  }
  return out;
}

/// Where a singer's packets follow silence, libopus cross-fades the first 2.5 ms from the SILK
/// silence into the singer's CELT and then decodes exactly as the server's fresh decoder did
/// (measured: the difference is 100% and 42% in the first two 2.5 ms, 0 from then on).
/// Comparisons skip that much after each entry.
constexpr Clock kConverge = 240;
/// Relative RMS difference from the server's decoding once converged.
constexpr double kSameAudio = 0.01;

/// Packets from a fresh encoder, and what a fresh decoder makes of them (the server's view).
struct Upload {
  std::vector<Bytes> packets;
  std::vector<float> decoded;
  std::vector<std::span<const std::uint8_t>> spans() const {
    return {packets.begin(), packets.end()};
  }
};

Upload encode(const std::vector<float>& pcm) {
  client::OpusPipe pipe;
  Upload u;
  u.packets = pipe.encode(pcm);
  u.decoded = pipe.decode(u.packets);
  return u;
}

std::vector<std::span<const std::uint8_t>> slice(const Upload& u, std::size_t from, std::size_t n) {
  const auto all = u.spans();
  return {all.begin() + static_cast<std::ptrdiff_t>(from),
          all.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

/// RMS of stem[at + i] − ref[from + i] over n samples, relative to the RMS of ref there.
double relative_error(const std::vector<float>& stem, Clock at, const std::vector<float>& ref,
                      std::size_t from, std::size_t n) {
  double err = 0, sig = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = ref.at(from + i);
    const double d = stem.at(static_cast<std::size_t>(at) + i) - r;
    err += d * d;
    sig += r * r;
  }
  return std::sqrt(err / sig);
}

double peak(const std::vector<float>& pcm, std::size_t begin, std::size_t end) {
  float m = 0;
  for (std::size_t i = begin; i < end; ++i) m = std::max(m, std::abs(pcm.at(i)));
  return m;
}

class StemTrackTest : public ::testing::Test {
 protected:
  Result<StemTrack> create(const Upload& u, std::size_t packets, Clock begin,
                           Clock max_samples = kHour) {
    path_ = dir_.path() / ("stem" + std::to_string(files_++) + ".opus");
    const auto spans = slice(u, 0, packets);
    return StemTrack::create(path_, OggOpusHeader{}, silence_, StemSong{kSongStart, max_samples},
                             begin, spans);
  }

  testing::TempDir dir_{"brigade-stem"};
  SilencePackets silence_;
  std::filesystem::path path_;
  int files_ = 0;
};

TEST(SilencePackets, DecodeToSilenceOfTheirDurationInTheirMode) {
  const SilencePackets s;
  for (std::size_t i = 0; i < SilencePackets::kSilkDurations.size(); ++i) {
    EXPECT_EQ(opus_packet_samples(s.silk(i)), SilencePackets::kSilkDurations[i]);
    EXPECT_LT(s.silk(i)[0] >> 3, 12) << "SILK-only configuration";
    EXPECT_LE(s.silk(i).size(), 16u) << "silence should cost a few bytes";
  }
  for (std::size_t i = 0; i < SilencePackets::kCeltDurations.size(); ++i) {
    EXPECT_EQ(opus_packet_samples(s.celt(i)), SilencePackets::kCeltDurations[i]);
    EXPECT_GE(s.celt(i)[0] >> 3, 16) << "CELT-only configuration";
    EXPECT_LE(s.celt(i).size(), 16u);
  }
  codec::Decoder decoder;
  std::vector<float> pcm(codec::kMaxPacketSamples);
  for (std::size_t i = 0; i < SilencePackets::kSilkDurations.size(); ++i) {
    ASSERT_EQ(decoder.decode(s.silk(i), pcm), SilencePackets::kSilkDurations[i]);
    for (int j = 0; j < SilencePackets::kSilkDurations[i]; ++j) ASSERT_LE(std::abs(pcm[j]), 1e-4f);
  }
}

TEST_F(StemTrackTest, ALateSingerStartsAtTheirWriteClockAfterSilence) {
  const Upload u = encode(chords(20 * kFrame, 1));
  constexpr Clock kLate = 12'345;  // not on any packet grid
  auto track = create(u, 10, kSongStart + kLate);
  ASSERT_TRUE(track) << track.error();
  ASSERT_TRUE(track.value().add(kSongStart + kLate + 10 * kFrame, slice(u, 10, 10)));
  EXPECT_EQ(track.value().end_clock(), kSongStart + kLate + 20 * kFrame);
  ASSERT_TRUE(track.value().finish());
  EXPECT_EQ(track.value().counts().packets, 20u);
  EXPECT_GT(track.value().counts().silence_packets, 0u);

  std::string out;
  EXPECT_EQ(client::run_command("opusinfo '" + path_.string() + "'", out), 0) << out;
  EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  const auto stem = client::opusdec(path_);
  ASSERT_EQ(static_cast<Clock>(stem.size()), kLate + 20 * kFrame) << "the song's length to the end";
  EXPECT_LT(peak(stem, 0, kLate), 1e-3) << "silence before the singer";
  // Sample for sample what the server decoded, at the write clock.
  EXPECT_LT(relative_error(stem, kLate + kConverge, u.decoded, kConverge, 19 * kFrame), kSameAudio);
}

TEST_F(StemTrackTest, AnEarlySingerIsCutAtTheSongStart) {
  const Upload u = encode(chords(10 * kFrame, 2));
  // 83 ms early: everything stays in the file, the first 4,000 samples under the pre-skip.
  constexpr Clock kEarly = 4'000;
  auto track = create(u, 10, kSongStart - kEarly);
  ASSERT_TRUE(track) << track.error();
  ASSERT_TRUE(track.value().finish());
  EXPECT_EQ(track.value().counts().outside, 0u);
  EXPECT_EQ(track.value().counts().packets, 10u);
  const auto stem = client::opusdec(path_);
  ASSERT_EQ(static_cast<Clock>(stem.size()), 10 * kFrame - kEarly);
  // Same decoder history as the server's: the same samples from the song's first on.
  EXPECT_LT(relative_error(stem, 0, u.decoded, kEarly, 8 * kFrame), 1e-6);

  // 2.1 s early (a 3 s upload): the packets that end more than 1 s before the song are left
  // out; the second before it stays under the pre-skip.
  const Upload longer = encode(chords(50 * kFrame, 2));
  constexpr Clock kVeryEarly = 100'000;
  path_ = dir_.path() / "far.opus";
  const auto spans = longer.spans();
  auto far = StemTrack::create(path_, OggOpusHeader{}, silence_, StemSong{kSongStart, kHour},
                               kSongStart - kVeryEarly, spans);
  ASSERT_TRUE(far) << far.error();
  ASSERT_TRUE(far.value().finish());
  EXPECT_EQ(far.value().counts().outside, 18u);
  const auto cut = client::opusdec(path_);
  ASSERT_EQ(static_cast<Clock>(cut.size()), 50 * kFrame - kVeryEarly);
  EXPECT_LT(relative_error(cut, 0, longer.decoded, kVeryEarly, 10 * kFrame), kSameAudio);
}

TEST_F(StemTrackTest, GapsAreFilledToWithinTwoAndAHalfMilliseconds) {
  const Upload a = encode(chords(8 * kFrame, 3));
  const Upload b = encode(chords(8 * kFrame, 4));  // after a reset: a fresh encoder
  auto track = create(a, 8, kSongStart);
  ASSERT_TRUE(track) << track.error();
  constexpr Clock kGap = 5'000;  // 120 in one 2.5 ms packet, 4,800 in 60 + 40 ms ones, 80 left
  const Clock second = 8 * kFrame + kGap;
  ASSERT_TRUE(track.value().add(kSongStart + second, b.spans()));
  ASSERT_TRUE(track.value().finish());
  const auto stem = client::opusdec(path_);
  EXPECT_EQ(static_cast<Clock>(stem.size()), second - 80 + 8 * kFrame);
  EXPECT_LT(relative_error(stem, kConverge, a.decoded, kConverge, 5 * kFrame), kSameAudio);
  // The second upload sits 80 samples (< 2.5 ms) early, never late: find it by its error.
  Clock best = 0;
  double best_error = 1e9;
  for (Clock lag = -200; lag <= 200; ++lag) {
    const double e =
        relative_error(stem, second + lag + kConverge, b.decoded, kConverge, 4 * kFrame);
    if (e < best_error) {
      best_error = e;
      best = lag;
    }
  }
  EXPECT_EQ(best, -80);
  EXPECT_LT(best_error, kSameAudio);
  EXPECT_LT(peak(stem, 8 * kFrame + 480, second - 80 - 480), 1e-3) << "silence in the gap";
}

TEST_F(StemTrackTest, OverlapsAndPacketsPastTheCapAreDroppedAndCounted) {
  const Upload u = encode(chords(15 * kFrame, 5));
  auto track = create(u, 5, kSongStart, /*max_samples=*/10 * kFrame);
  ASSERT_TRUE(track) << track.error();
  // A singer who rewound: their next upload starts 2 packets before the end of the stem.
  ASSERT_TRUE(track.value().add(kSongStart + 3 * kFrame, slice(u, 5, 4)));
  EXPECT_EQ(track.value().counts().overlapping, 2u);
  // Past the 10-packet cap.
  ASSERT_TRUE(track.value().add(kSongStart + 7 * kFrame, slice(u, 9, 6)));
  EXPECT_EQ(track.value().counts().outside, 3u);
  EXPECT_EQ(track.value().counts().packets, 10u);
  ASSERT_TRUE(track.value().finish());
  EXPECT_EQ(client::opusdec(path_).size(), 10u * kFrame);
  // A packet libopus cannot size skips its whole upload.
  const std::vector<std::uint8_t> junk{0xFF};
  const std::vector<std::span<const std::uint8_t>> bad{junk};
  auto other = create(u, 1, kSongStart);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other.value().add(kSongStart + kFrame, bad));
  EXPECT_EQ(other.value().counts().packets, 1u);
}

}  // namespace
}  // namespace brigade
