// brigade wire: the API's binary user summary: count:uint16 BE, then 51-byte big-endian records
// (id:u64, name:32 bytes NUL-padded, mic_volume:f32, rms:f32, delay_seconds:u16, flags:u8).
// The room lists singers (brigade/engine/user_summary.hpp); this file owns the bytes.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "brigade/engine/user_summary.hpp"

namespace brigade::server::wire {

inline constexpr std::size_t kSummaryRecordBytes = 51;
inline constexpr std::size_t kSummaryCountBytes = 2;
/// The size of a block of `records` records.
constexpr std::size_t summary_block_bytes(std::size_t records) {
  return kSummaryCountBytes + records * kSummaryRecordBytes;
}
inline constexpr std::size_t kSummaryNameBytes = kListedNameBytes;
/// Byte offset of the rms field inside a record (it changes with every upload).
inline constexpr std::size_t kSummaryRmsOffset = 44;

/// Sorts entries as the original does (sort_listing) and writes the block: `out` is replaced.
/// At most 65,535 records.
void encode_summary(std::span<SummaryEntry> entries, std::string& out);
/// The same for entries already in sort_listing order.
void encode_sorted_summary(std::span<const SummaryEntry> entries, std::string& out);

/// The block of the room's newest listing, encoded once per listing and shared by every reply
/// that carries it (the room rebuilds its listing at most every 100 ms).
class SummaryCache {
 public:
  /// The encoded block of `listing` (an empty listing when null).
  std::shared_ptr<const std::string> bytes(const std::shared_ptr<const SummaryListing>& listing);

 private:
  std::mutex mutex_;
  std::shared_ptr<const SummaryListing> listing_;
  std::shared_ptr<const std::string> bytes_;
};

}  // namespace brigade::server::wire
