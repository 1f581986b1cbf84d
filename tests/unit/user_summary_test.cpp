#include "brigade/engine/user_summary.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace brigade {
namespace {

TEST(SummaryDelaySeconds, RoundsHalfToEven) {
  EXPECT_EQ(summary_delay_seconds(0), 0);
  EXPECT_EQ(summary_delay_seconds(23'999), 0);
  EXPECT_EQ(summary_delay_seconds(24'000), 0);  // 0.5 → 0
  EXPECT_EQ(summary_delay_seconds(24'001), 1);
  EXPECT_EQ(summary_delay_seconds(72'000), 2);   // 1.5 → 2
  EXPECT_EQ(summary_delay_seconds(120'000), 2);  // 2.5 → 2
  EXPECT_EQ(summary_delay_seconds(168'000), 4);  // 3.5 → 4
  EXPECT_EQ(summary_delay_seconds(3 * 48'000 + 1), 3);
}

TEST(SummaryDelaySeconds, ClampsToUint16) {
  EXPECT_EQ(summary_delay_seconds(-48'000), 0);
  EXPECT_EQ(summary_delay_seconds(-1), 0);
  EXPECT_EQ(summary_delay_seconds(65'535LL * 48'000), 65'535);
  EXPECT_EQ(summary_delay_seconds(1'000'000LL * 48'000), 65'535);
}

TEST(TruncateUtf8, KeepsShortNames) {
  EXPECT_EQ(truncate_utf8("Ann", 32), "Ann");
  EXPECT_EQ(truncate_utf8(std::string(32, 'x'), 32), std::string(32, 'x'));
  EXPECT_EQ(truncate_utf8("", 32), "");
}

TEST(TruncateUtf8, CutsAtCharacterBoundaries) {
  EXPECT_EQ(truncate_utf8(std::string(40, 'x'), 32), std::string(32, 'x'));
  // "é" is 2 bytes: at bytes 31..32 it would be cut, so it goes.
  EXPECT_EQ(truncate_utf8(std::string(31, 'a') + "\xC3\xA9", 32), std::string(31, 'a'));
  // "€" is 3 bytes at 30..32: goes; at 29..31 it fits exactly.
  EXPECT_EQ(truncate_utf8(std::string(30, 'a') + "\xE2\x82\xAC", 32), std::string(30, 'a'));
  EXPECT_EQ(truncate_utf8(std::string(29, 'a') + "\xE2\x82\xAC" + "b", 32),
            std::string(29, 'a') + "\xE2\x82\xAC");
  // A 4-byte emoji straddling the limit at any offset.
  const std::string emoji = "\xF0\x9F\x8E\xB5";
  for (std::size_t pad = 29; pad <= 31; ++pad) {
    EXPECT_EQ(truncate_utf8(std::string(pad, 'a') + emoji, 32), std::string(pad, 'a')) << pad;
  }
  // All multi-byte: eight 4-byte characters fit exactly, the ninth does not.
  std::string notes;
  for (int i = 0; i < 9; ++i) notes += emoji;
  EXPECT_EQ(truncate_utf8(notes, 32), notes.substr(0, 32));
  EXPECT_EQ(truncate_utf8(notes, 33), notes.substr(0, 32));
  EXPECT_EQ(truncate_utf8(notes, 3), "");
}

std::vector<std::uint64_t> ids(const std::vector<SummaryEntry>& entries) {
  std::vector<std::uint64_t> out;
  for (const auto& e : entries) out.push_back(e.user_id);
  return out;
}

TEST(SortListing, ByDelayThenNameThenMicVolumeThenIdAsText) {
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
  sort_listing(entries);
  EXPECT_EQ(ids(entries), (std::vector<std::uint64_t>{1, 7, 4, 10, 3, 9, 2}));
}

TEST(SortListing, NamesSortByCodePoint) {
  // UTF-8 byte order is code point order: "é" (U+00E9) after "z", before "€" (U+20AC).
  std::vector<SummaryEntry> entries{
      SummaryEntry{.user_id = 1, .name = "\xE2\x82\xAC"},
      SummaryEntry{.user_id = 2, .name = "\xC3\xA9"},
      SummaryEntry{.user_id = 3, .name = "z"},
  };
  sort_listing(entries);
  EXPECT_EQ(ids(entries), (std::vector<std::uint64_t>{3, 2, 1}));
}

TEST(SameListing, IgnoresOnlyTheLevels) {
  auto listing = [](float rms, std::string name, bool muted, std::int64_t delay = 144000) {
    return std::vector<SummaryEntry>{
        {.user_id = 5, .name = std::move(name), .rms = rms, .delay_samples = delay, .muted = muted},
        {.user_id = 9, .name = "b", .rms = 0.5f, .delay_samples = 288000}};
  };
  EXPECT_TRUE(same_listing(listing(0.1f, "a", false), listing(0.9f, "a", false)));
  EXPECT_FALSE(same_listing(listing(0.1f, "a", false), listing(0.1f, "c", false)));
  EXPECT_FALSE(same_listing(listing(0.1f, "a", false), listing(0.1f, "a", true)));
  // The listing carries whole seconds: a delay that rounds to the same second is no change.
  EXPECT_TRUE(same_listing(listing(0.1f, "a", false), listing(0.1f, "a", false, 144100)));
  EXPECT_FALSE(same_listing(listing(0.1f, "a", false), listing(0.1f, "a", false, 192000)));
  // Names are listed to kListedNameBytes: a difference beyond them is not shown.
  const std::string long_name(kListedNameBytes, 'x');
  EXPECT_TRUE(
      same_listing(listing(0.1f, long_name + "1", false), listing(0.1f, long_name + "2", false)));
  const std::vector<SummaryEntry> single{{.user_id = 5, .name = "a"}};
  EXPECT_FALSE(same_listing(listing(0.1f, "a", false), single));
}

}  // namespace
}  // namespace brigade
