// brigade: the API's binary user summary: count:uint16 BE, then 51-byte big-endian records.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace brigade {

/// One active singer as listed to clients.
struct SummaryEntry {
  std::uint64_t user_id = 0;
  std::string_view name;
  float mic_volume = 1.0f;  ///< console value 0..2
  float rms = 0.0f;         ///< of the last upload, before gains
  std::int64_t delay_samples = 0;
  bool muted = false;
  bool soloed = false;
};

inline constexpr std::size_t kSummaryRecordBytes = 51;
inline constexpr std::size_t kSummaryNameBytes = 32;

/// Delay in whole seconds as the summary carries it: round half to even, clamped to uint16.
std::uint16_t summary_delay_seconds(std::int64_t delay_samples);

/// The longest prefix of `name` of at most `max_bytes` bytes that does not cut a UTF-8
/// character in two.
std::string_view truncate_utf8(std::string_view name, std::size_t max_bytes);

/// Byte offset of the rms field inside a record (it changes with every upload).
inline constexpr std::size_t kSummaryRmsOffset = 44;
inline constexpr std::size_t kSummaryRmsBytes = 4;

/// True when two encoded blocks list the same singers in the same order with the same names,
/// mic volumes, delays and flags: they may differ only in the rms levels.
bool same_listing(std::string_view a, std::string_view b);

/// Sorts entries as the original does (delay seconds, name, mic volume, id as text) and
/// writes the block: `out` is replaced. At most 65,535 records.
void encode_summary(std::span<SummaryEntry> entries, std::string& out);

}  // namespace brigade
