// The binary user summary: layout, flags, names, order (server/wire/user_summary.hpp).
#include "wire/user_summary.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace brigade::server::wire {
namespace {

// Reads the block back with its documented layout, independently of the encoder.
struct Record {
  std::uint64_t id = 0;
  std::string name;  // NULs stripped
  float mic_volume = 0;
  float rms = 0;
  std::uint16_t delay = 0;
  std::uint8_t flags = 0;
};

std::uint64_t be(const std::string& s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

std::vector<Record> decode(const std::string& block) {
  EXPECT_GE(block.size(), 2u);
  const auto count = static_cast<std::size_t>(be(block, 0, 2));
  EXPECT_EQ(block.size(), 2 + count * 51);
  std::vector<Record> out;
  for (std::size_t i = 0; i < count && 2 + (i + 1) * 51 <= block.size(); ++i) {
    const std::size_t at = 2 + i * 51;
    Record r;
    r.id = be(block, at, 8);
    const std::string raw = block.substr(at + 8, 32);
    r.name = raw.substr(0, raw.find('\0'));
    // NUL padding only after the name.
    for (std::size_t k = r.name.size(); k < 32; ++k) EXPECT_EQ(raw[k], '\0');
    r.mic_volume = std::bit_cast<float>(static_cast<std::uint32_t>(be(block, at + 40, 4)));
    r.rms = std::bit_cast<float>(static_cast<std::uint32_t>(be(block, at + 44, 4)));
    r.delay = static_cast<std::uint16_t>(be(block, at + 48, 2));
    r.flags = static_cast<std::uint8_t>(block[at + 50]);
    out.push_back(r);
  }
  return out;
}

TEST(EncodeSummary, EmptyIsAZeroCount) {
  std::string out = "junk";
  encode_summary({}, out);
  EXPECT_EQ(out, std::string(2, '\0'));
}

TEST(EncodeSummary, FiftyOneByteBigEndianRecords) {
  std::vector<SummaryEntry> entries{SummaryEntry{
      .user_id = 0x0102030405060708ULL,
      .name = "Ann",
      .mic_volume = 1.5f,
      .rms = 0.25f,
      .delay_samples = 6 * 48'000 + 100,
      .muted = true,
      .soloed = true,
  }};
  std::string out;
  encode_summary(entries, out);
  ASSERT_EQ(out.size(), 2u + 51u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 1);
  // Byte by byte where it matters: the id and the float's sign/exponent come first.
  EXPECT_EQ(out[2], 0x01);
  EXPECT_EQ(out[9], 0x08);
  EXPECT_EQ(out.substr(10, 3), "Ann");
  EXPECT_EQ(static_cast<unsigned char>(out[2 + 40]), 0x3F);  // 1.5f = 0x3FC00000
  EXPECT_EQ(static_cast<unsigned char>(out[2 + 41]), 0xC0);
  EXPECT_EQ(static_cast<unsigned char>(out[2 + 44]), 0x3E);  // 0.25f = 0x3E800000
  EXPECT_EQ(static_cast<unsigned char>(out[2 + 45]), 0x80);
  EXPECT_EQ(out[2 + 48], 0);
  EXPECT_EQ(out[2 + 49], 6);
  EXPECT_EQ(out[2 + 50], 3);  // muted | soloed

  const auto records = decode(out);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].id, 0x0102030405060708ULL);
  EXPECT_EQ(records[0].name, "Ann");
  EXPECT_EQ(records[0].mic_volume, 1.5f);
  EXPECT_EQ(records[0].rms, 0.25f);
  EXPECT_EQ(records[0].delay, 6);
  EXPECT_EQ(records[0].flags, 3);
}

TEST(EncodeSummary, FlagsAreBitZeroMutedBitOneSoloed) {
  std::vector<SummaryEntry> entries{
      SummaryEntry{.user_id = 1, .name = "a", .muted = true},
      SummaryEntry{.user_id = 2, .name = "b", .soloed = true},
      SummaryEntry{.user_id = 3, .name = "c"},
  };
  std::string out;
  encode_summary(entries, out);
  const auto r = decode(out);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].flags, 1);
  EXPECT_EQ(r[1].flags, 2);
  EXPECT_EQ(r[2].flags, 0);
}

TEST(EncodeSummary, LongNamesAreTruncatedUtf8Safely) {
  const std::string name = std::string(31, 'z') + "\xC3\xA9" + "tail";
  std::vector<SummaryEntry> entries{SummaryEntry{.user_id = 5, .name = name}};
  std::string out;
  encode_summary(entries, out);
  const auto r = decode(out);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, std::string(31, 'z'));
  EXPECT_EQ(out[2 + 8 + 31], '\0');
}

TEST(EncodeSummary, SortsByDelayThenNameThenMicVolumeThenIdAsText) {
  std::vector<SummaryEntry> entries{
      SummaryEntry{.user_id = 1, .name = "zed", .delay_samples = 3 * 48'000},
      SummaryEntry{.user_id = 2, .name = "amy", .delay_samples = 9 * 48'000},
      SummaryEntry{.user_id = 3, .name = "bob", .mic_volume = 1.5f, .delay_samples = 6 * 48'000},
      SummaryEntry{.user_id = 4, .name = "bob", .mic_volume = 0.5f, .delay_samples = 6 * 48'000},
      // Same delay (6.2 s rounds to 6), name and volume: "10" sorts before "9" as text.
      SummaryEntry{.user_id = 9, .name = "bob", .mic_volume = 1.5f, .delay_samples = 297'600},
      SummaryEntry{.user_id = 10, .name = "bob", .mic_volume = 1.5f, .delay_samples = 288'000},
      SummaryEntry{.user_id = 7, .name = "Cat", .delay_samples = 6 * 48'000},  // 'C' < 'b'
  };
  std::string out;
  encode_summary(entries, out);
  const auto r = decode(out);
  std::vector<std::uint64_t> ids;
  for (const auto& rec : r) ids.push_back(rec.id);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 7, 4, 10, 3, 9, 2}));
}

TEST(EncodeSummary, NamesSortByCodePoint) {
  // UTF-8 byte order is code point order: "é" (U+00E9) after "z", before "€" (U+20AC).
  std::vector<SummaryEntry> entries{
      SummaryEntry{.user_id = 1, .name = "\xE2\x82\xAC"},
      SummaryEntry{.user_id = 2, .name = "\xC3\xA9"},
      SummaryEntry{.user_id = 3, .name = "z"},
  };
  std::string out;
  encode_summary(entries, out);
  const auto r = decode(out);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].id, 3u);
  EXPECT_EQ(r[1].id, 2u);
  EXPECT_EQ(r[2].id, 1u);
}

TEST(SummaryCache, EncodesEachListingOnceAndFollowsANewOne) {
  SummaryCache cache;
  auto listing =
      std::make_shared<SummaryListing>(SummaryListing{SummaryEntry{.user_id = 1, .name = "a"}});
  const auto first = cache.bytes(listing);
  ASSERT_EQ(decode(*first).size(), 1u);
  EXPECT_EQ(cache.bytes(listing), first) << "the same listing is not encoded again";
  auto next = std::make_shared<SummaryListing>(*listing);
  next->push_back(SummaryEntry{.user_id = 2, .name = "b"});
  const auto second = cache.bytes(next);
  EXPECT_NE(second, first);
  EXPECT_EQ(decode(*second).size(), 2u);
  EXPECT_EQ(*cache.bytes(nullptr), std::string(2, '\0'));
}

}  // namespace
}  // namespace brigade::server::wire
