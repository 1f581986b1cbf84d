#include "brigade/codec/ogg_opus_writer.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>

#include <algorithm>
#include <string>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "client/tone.hpp"
#include "support/ogg_opus_file.hpp"
#include "support/temp_dir.hpp"

namespace brigade {
namespace {

using client::OggPage;
using Bytes = std::vector<std::uint8_t>;

constexpr int kFrame = kOpusFrameSamples;

/// `n` 60 ms packets of a 440 Hz tone.
std::vector<Bytes> tone_packets(std::size_t n) {
  client::OpusPipe pipe;
  return pipe.encode(client::sine(440.0, 0.3f, n * kFrame));
}

std::uint32_t le32(const Bytes& b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

TEST(OggCrc, MatchesTheStandardCheckValue) {
  // CRC-32 with polynomial 0x04C11DB7, initial 0, unreflected, no final xor ("CRC-32/CKSUM"
  // without its final inversion): the check value of "123456789" is ~0x765E7680.
  const std::string check = "123456789";
  EXPECT_EQ(ogg_crc(std::span(reinterpret_cast<const std::uint8_t*>(check.data()), check.size())),
            0x89A1'897Fu);
  EXPECT_EQ(ogg_crc({}), 0u);
}

class OggOpusWriterTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::vector<Bytes>& packets, std::uint16_t pre_skip,
                              const std::vector<int>& samples = {}) {
    const auto path = dir_.path() / ("s" + std::to_string(files_++) + ".opus");
    OggOpusHeader h;
    h.pre_skip = pre_skip;
    h.serial = 0x1234'5678;
    h.comments = {"ARTIST=Ada Lovelace", "BRIGADE_USERID=7"};
    auto w = OggOpusWriter::create(path, h);
    EXPECT_TRUE(w) << w.error();
    for (std::size_t i = 0; i < packets.size(); ++i) {
      EXPECT_TRUE(w.value().append(packets[i], samples.empty() ? kFrame : samples[i]));
    }
    EXPECT_TRUE(w.value().finish());
    return path;
  }

  testing::TempDir dir_{"brigade-ogg"};
  int files_ = 0;
};

TEST_F(OggOpusWriterTest, PagesHaveValidCrcsSequenceFlagsAndGranules) {
  const auto packets = tone_packets(50);  // 3 s
  const auto pages = client::read_ogg_pages(write(packets, 312));
  ASSERT_GE(pages.size(), 5u);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const OggPage& p = pages[i];
    EXPECT_EQ(p.stored_crc, p.computed_crc) << "page " << i;
    EXPECT_EQ(p.sequence, i);
    EXPECT_EQ(p.serial, 0x1234'5678u);
    EXPECT_EQ((p.flags & 0x02) != 0, i == 0) << "beginning-of-stream flag, page " << i;
    EXPECT_EQ((p.flags & 0x04) != 0, i + 1 == pages.size()) << "end-of-stream flag, page " << i;
    EXPECT_EQ(p.flags & 0x01, 0) << "no packet spans pages";
  }
  // Headers: OpusHead alone on the first page, OpusTags on the second, both granule 0.
  EXPECT_EQ(pages[0].granule, 0);
  EXPECT_EQ(pages[1].granule, 0);
  const auto all = client::ogg_packets(pages);
  ASSERT_EQ(all.size(), packets.size() + 2);
  const Bytes& head = all[0];
  ASSERT_EQ(head.size(), 19u);
  EXPECT_EQ(std::string(head.begin(), head.begin() + 8), "OpusHead");
  EXPECT_EQ(head[8], 1);                     // version
  EXPECT_EQ(head[9], 1);                     // mono
  EXPECT_EQ(head[10] | head[11] << 8, 312);  // pre-skip
  EXPECT_EQ(le32(head, 12), 48'000u);
  EXPECT_EQ(head[18], 0);  // mapping family
  const Bytes& tags = all[1];
  EXPECT_EQ(std::string(tags.begin(), tags.begin() + 8), "OpusTags");
  EXPECT_NE(std::string(tags.begin(), tags.end()).find("ARTIST=Ada Lovelace"), std::string::npos);
  // Audio packets unchanged, in order.
  for (std::size_t i = 0; i < packets.size(); ++i) EXPECT_EQ(all[i + 2], packets[i]) << i;
  // Each audio page's granule counts the samples of every packet that ends on it or before;
  // full pages hold one second or a little more (17 packets of 60 ms).
  std::int64_t samples = 0;
  for (std::size_t i = 2; i < pages.size(); ++i) {
    const auto ends = std::count_if(pages[i].lacing.begin(), pages[i].lacing.end(),
                                    [](std::uint8_t l) { return l < 255; });
    samples += ends * kFrame;
    EXPECT_EQ(pages[i].granule, samples) << "page " << i;
    if (i + 1 < pages.size()) {
      EXPECT_EQ(ends, 17);
    }
  }
  EXPECT_EQ(samples, 50 * kFrame);
}

TEST_F(OggOpusWriterTest, OpusinfoAcceptsTheFileAndOpusdecDecodesEverySample) {
  const auto packets = tone_packets(40);
  const auto path = write(packets, 312);
  std::string out;
  ASSERT_EQ(client::run_command("opusinfo '" + path.string() + "'", out), 0) << out;
  EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  EXPECT_EQ(out.find("rror"), std::string::npos) << out;
  EXPECT_NE(out.find("Pre-skip: 312"), std::string::npos) << out;
  EXPECT_NE(out.find("Total data length"), std::string::npos) << out;
  // opusdec drops the pre-skip and keeps the rest: exactly granule - pre-skip samples.
  const auto pcm = client::opusdec(path);
  EXPECT_EQ(pcm.size(), 40u * kFrame - 312);
  const double p = client::goertzel_power(std::span(pcm).subspan(kFrame, 10 * kFrame), 440.0);
  EXPECT_NEAR(p, 0.3 * 0.3 / 4, 0.3 * 0.3 / 4 * 0.3);
}

TEST_F(OggOpusWriterTest, PacketsLargerThanAPageContinueOnTheNext) {
  // Opus packets padded (opus_packet_pad) to 70,000 and 1,000 bytes: the first needs 275 lacing
  // values, more than one page holds.
  auto packets = tone_packets(3);
  for (auto [i, size] : {std::pair{0u, 70'000}, std::pair{1u, 1'000}}) {
    const auto len = static_cast<opus_int32>(packets[i].size());
    packets[i].resize(static_cast<std::size_t>(size));
    ASSERT_EQ(opus_packet_pad(packets[i].data(), len, size), OPUS_OK);
  }
  const auto path = write(packets, 312);
  const auto pages = client::read_ogg_pages(path);
  ASSERT_EQ(pages.size(), 4u);  // head, tags, 255 segments, the rest
  EXPECT_EQ(pages[2].lacing.size(), 255u);
  EXPECT_EQ(pages[2].granule, -1) << "no packet ends on the first audio page";
  EXPECT_EQ(pages[3].flags & 0x01, 0x01) << "the next page continues the packet";
  for (const auto& p : pages) EXPECT_EQ(p.stored_crc, p.computed_crc);
  const auto all = client::ogg_packets(pages);
  ASSERT_EQ(all.size(), 5u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(all[i + 2], packets[i]);
  EXPECT_EQ(pages.back().granule, 3 * kFrame);
  std::string out;
  EXPECT_EQ(client::run_command("opusinfo '" + path.string() + "'", out), 0) << out;
  EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  EXPECT_EQ(client::opusdec(path).size(), 3u * kFrame - 312);
}

TEST_F(OggOpusWriterTest, NeverOverwritesAndRefusesAppendsAfterFinish) {
  const auto path = write(tone_packets(1), 0);
  EXPECT_FALSE(OggOpusWriter::create(path, OggOpusHeader{}));
  auto w = OggOpusWriter::create(dir_.path() / "x.opus", OggOpusHeader{});
  ASSERT_TRUE(w);
  EXPECT_TRUE(w.value().finish());
  EXPECT_FALSE(w.value().append(tone_packets(1)[0], kFrame));
  // Headers only: still a well-formed stream ending with an end-of-stream page.
  const auto pages = client::read_ogg_pages(dir_.path() / "x.opus");
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages.back().flags & 0x04, 0x04);
}

}  // namespace
}  // namespace brigade
