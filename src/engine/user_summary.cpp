// brigade: the typed listing of active singers.
#include "brigade/engine/user_summary.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>

#include "brigade/constants.hpp"

namespace brigade {
namespace {

struct IdText {
  std::array<char, 21> chars{};
  std::size_t size = 0;
  explicit IdText(std::uint64_t id) {
    size = static_cast<std::size_t>(
        std::to_chars(chars.data(), chars.data() + chars.size(), id).ptr - chars.data());
  }
  std::string_view view() const { return {chars.data(), size}; }
};

}  // namespace

std::uint16_t summary_delay_seconds(std::int64_t delay_samples) {
  const double seconds = std::nearbyint(static_cast<double>(delay_samples) / kSampleRate);
  return static_cast<std::uint16_t>(std::clamp(seconds, 0.0, 65535.0));
}

std::string_view truncate_utf8(std::string_view name, std::size_t max_bytes) {
  if (name.size() <= max_bytes) return name;
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that would be cut.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return name.substr(0, cut);
}

void sort_listing(std::span<SummaryEntry> entries) {
  std::sort(entries.begin(), entries.end(), [](const SummaryEntry& a, const SummaryEntry& b) {
    const auto da = summary_delay_seconds(a.delay_samples);
    const auto db = summary_delay_seconds(b.delay_samples);
    if (da != db) return da < db;
    if (a.name != b.name) return a.name < b.name;
    if (a.mic_volume != b.mic_volume) return a.mic_volume < b.mic_volume;
    return IdText(a.user_id).view() < IdText(b.user_id).view();
  });
}

bool same_listing(std::span<const SummaryEntry> a, std::span<const SummaryEntry> b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const SummaryEntry& x, const SummaryEntry& y) {
        return x.user_id == y.user_id &&
               truncate_utf8(x.name, kListedNameBytes) == truncate_utf8(y.name, kListedNameBytes) &&
               std::bit_cast<std::uint32_t>(x.mic_volume) ==
                   std::bit_cast<std::uint32_t>(y.mic_volume) &&
               summary_delay_seconds(x.delay_samples) == summary_delay_seconds(y.delay_samples) &&
               x.muted == y.muted && x.soloed == y.soloed;
      });
}

}  // namespace brigade
