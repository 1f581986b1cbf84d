// brigade wire: binary user summary.
#include "wire/user_summary.hpp"

#include <algorithm>
#include <bit>

namespace brigade::server::wire {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void encode_summary(std::span<SummaryEntry> entries, std::string& out) {
  sort_listing(entries);
  encode_sorted_summary(entries, out);
}

void encode_sorted_summary(std::span<const SummaryEntry> entries, std::string& out) {
  const std::size_t n = std::min<std::size_t>(entries.size(), 65535);
  out.clear();
  out.reserve(summary_block_bytes(n));
  put_be(out, n, kSummaryCountBytes);
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

std::shared_ptr<const std::string> SummaryCache::bytes(
    const std::shared_ptr<const SummaryListing>& listing) {
  std::lock_guard lock(mutex_);
  if (bytes_ && listing_ == listing) return bytes_;
  auto block = std::make_shared<std::string>();
  // The room lists singers sorted already (Room keeps its listing in sort_listing order).
  encode_sorted_summary(
      listing ? std::span<const SummaryEntry>(*listing) : std::span<const SummaryEntry>(), *block);
  listing_ = listing;
  bytes_ = std::move(block);
  return bytes_;
}

}  // namespace brigade::server::wire
