// brigade: the listing of active singers the room hands out (typed; the binary wire block is
// written by the server: server/wire/user_summary.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brigade {

/// Longest name the listing shows, bytes (cut at a character boundary).
inline constexpr std::size_t kListedNameBytes = 32;

/// One active singer as listed to clients.
struct SummaryEntry {
  std::uint64_t user_id = 0;
  std::string name;         ///< at most kListedNameBytes when the room lists it
  float mic_volume = 1.0f;  ///< console value 0..2
  float rms = 0.0f;         ///< of the last upload, before gains
  std::int64_t delay_samples = 0;
  bool muted = false;
  bool soloed = false;
};

/// The listing of one moment, immutable once built (shared by every reply until the next).
using SummaryListing = std::vector<SummaryEntry>;

/// Delay in whole seconds as the listing carries it: round half to even, clamped to uint16.
std::uint16_t summary_delay_seconds(std::int64_t delay_samples);

/// The longest prefix of `name` of at most `max_bytes` bytes that does not cut a UTF-8
/// character in two.
std::string_view truncate_utf8(std::string_view name, std::size_t max_bytes);

/// Sorts entries as the original does: delay seconds, name, mic volume, id as text.
void sort_listing(std::span<SummaryEntry> entries);

/// True when two sorted listings show the same singers in the same order with the same names,
/// mic volumes, delay seconds and flags: they may differ only in the rms levels.
bool same_listing(std::span<const SummaryEntry> a, std::span<const SummaryEntry> b);

}  // namespace brigade
