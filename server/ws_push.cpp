// brigade: the WebSocket pushes' bytes and pacing.
#include "ws_push.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "wire/json_writer.hpp"

namespace brigade::server {
namespace {

/// The value of `key` in a raw query string (no percent-decoding: the keys we look for and
/// their values are plain), or nothing.
std::optional<std::string_view> raw_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view field = query.substr(0, amp);
    if (field.size() > key.size() && field.starts_with(key) && field[key.size()] == '=') {
      return field.substr(key.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

/// New levels alone after a push of `bytes` (kWsLevelsMinInterval, kWsLevelsBytesPerSecond).
std::chrono::nanoseconds levels_wait(std::size_t bytes) {
  return std::max<std::chrono::nanoseconds>(kWsLevelsMinInterval,
                                            summary_wait(bytes, kWsLevelsBytesPerSecond));
}

/// Four decimals: meters and sliders need no more, and a widened float's 17 digits would
/// double the push.
double rounded(float v) {
  return std::round(static_cast<double>(v) * 1e4) / 1e4;
}

}  // namespace

bool ws_push_requested(std::string_view upgrade_query) {
  return raw_param(upgrade_query, "push") == "1";
}

std::optional<std::uint64_t> ws_query_userid(std::string_view query) {
  const auto value = raw_param(query, "userid");
  if (!value || value->empty()) return std::nullopt;
  std::uint64_t id = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, id);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return id;
}

void encode_summary_push(std::span<const SummaryEntry> users, std::uint64_t version,
                         std::string& out) {
  out.clear();
  wire::JsonWriter w(out, wire::JsonStyle::kCompact);
  w.begin_object().key("push").string("summary");
  w.key("user_summary_version").unsigned_integer(version);
  w.key("users").begin_array();
  for (const auto& u : users) {
    char id[24];  // user ids use all 64 bits: sent as a string, as in the replies' "leader"
    const auto [end, ec] = std::to_chars(id, id + sizeof id, u.user_id);
    w.begin_array().string(std::string_view(id, static_cast<std::size_t>(end - id)));
    w.string(truncate_utf8(u.name, kListedNameBytes));
    w.number(rounded(u.mic_volume)).number(rounded(u.rms));
    w.integer(summary_delay_seconds(u.delay_samples));
    w.integer((u.muted ? 1 : 0) | (u.soloed ? 2 : 0)).end_array();
  }
  w.end_array().end_object();
}

std::shared_ptr<const std::string> SummaryPushCache::encoded(
    const std::shared_ptr<const SummaryListing>& listing, std::uint64_t version) {
  std::lock_guard lock(mutex_);
  if (!bytes_ || listing_ != listing || version_ != version) {
    auto bytes = std::make_shared<std::string>();
    encode_summary_push(*listing, version, *bytes);
    bytes_ = std::move(bytes);
    listing_ = listing;
    version_ = version;
  }
  return bytes_;
}

void encode_chats_push(std::span<const std::pair<std::string, std::string>> chats,
                       std::string& out) {
  out.clear();
  wire::JsonWriter w(out, wire::JsonStyle::kCompact);
  w.begin_object().key("push").string("chats").key("chats").begin_array();
  for (const auto& [sender, text] : chats) w.begin_array().string(sender).string(text).end_array();
  w.end_array().end_object();
}

bool SummaryPushPacer::due(const std::shared_ptr<const SummaryListing>& listing,
                           std::uint64_t version, Clock::time_point now,
                           std::size_t next_bytes) const {
  if (!at_) return true;
  const auto since = now - *at_;
  if (version != version_) return since >= summary_wait(std::max(bytes_, next_bytes));
  return listing != listing_ && since >= levels_wait(bytes_);
}

SummaryPushPacer::Clock::time_point SummaryPushPacer::first_possible() const {
  if (!at_) return {};
  return *at_ + std::min<std::chrono::nanoseconds>(summary_wait(bytes_), levels_wait(bytes_));
}

void SummaryPushPacer::pushed(std::shared_ptr<const SummaryListing> listing, std::uint64_t version,
                              std::size_t bytes, Clock::time_point now) {
  listing_ = std::move(listing);
  version_ = version;
  bytes_ = bytes;
  at_ = now;
}

}  // namespace brigade::server
