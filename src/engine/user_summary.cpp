// brigade: binary user summary.
#include "brigade/engine/user_summary.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <tuple>

#include "brigade/constants.hpp"

namespace brigade {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

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

void encode_summary(std::span<SummaryEntry> entries, std::string& out) {
  std::sort(entries.begin(), entries.end(), [](const SummaryEntry& a, const SummaryEntry& b) {
    const auto da = summary_delay_seconds(a.delay_samples);
    const auto db = summary_delay_seconds(b.delay_samples);
    if (da != db) return da < db;
    if (a.name != b.name) return a.name < b.name;
    if (a.mic_volume != b.mic_volume) return a.mic_volume < b.mic_volume;
    return IdText(a.user_id).view() < IdText(b.user_id).view();
  });
  const std::size_t n = std::min<std::size_t>(entries.size(), 65535);
  out.clear();
  out.reserve(2 + n * kSummaryRecordBytes);
  put_be(out, n, 2);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = entries[i];
    put_be(out, e.user_id, 8);
    const auto name = truncate_utf8(e.name, kSummaryNameBytes);
    out.append(name);
    out.append(kSummaryNameBytes - name.size(), '\0');
    put_be(out, std::bit_cast<std::uint32_t>(e.mic_volume), 4);
    put_be(out, std::bit_cast<std::uint32_t>(e.rms), 4);
    put_be(out, summary_delay_seconds(e.delay_samples), 2);
    out.push_back(static_cast<char>((e.muted ? 1 : 0) | (e.soloed ? 2 : 0)));
  }
}

bool same_listing(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const std::size_t header = 2;
  if (a.substr(0, header) != b.substr(0, header)) return false;
  for (std::size_t at = header; at + kSummaryRecordBytes <= a.size(); at += kSummaryRecordBytes) {
    const std::size_t rms = at + kSummaryRmsOffset;
    const std::size_t after = rms + kSummaryRmsBytes;
    if (a.substr(at, rms - at) != b.substr(at, rms - at)) return false;
    const std::size_t end = at + kSummaryRecordBytes;
    if (a.substr(after, end - after) != b.substr(after, end - after)) return false;
  }
  return true;
}

}  // namespace brigade
