// brigade: the audio exchange's query parameters → a typed, range-checked ExchangeRequest.
#pragma once

#include <cstddef>
#include <string_view>

#include "brigade/exchange.hpp"
#include "query.hpp"

namespace brigade::server {

/// Largest JSON prefix (lyrics) a request may carry, bytes.
inline constexpr std::size_t kMaxJsonPrefixBytes = 64 * 1024;
/// Longest chat line, bytes; longest track name, bytes.
inline constexpr std::size_t kMaxChatBytes = 2 * 1024;
inline constexpr std::size_t kMaxTrackNameBytes = 255;
/// Upper bounds for the rounds settings (the page's own limits are 500 / 20 / 500).
inline constexpr int kMaxBpm = 1000;
inline constexpr int kMaxRepeats = 100;
inline constexpr int kMaxBpr = 1000;
/// Friendly volumes are 0..2 in every UI; we accept a little headroom.
inline constexpr double kMaxFriendlyVolume = 3.0;
/// user_backing_volume is rounded to this step (the page's slider step): the reply audio, and so
/// the shared-encoder group, depends on it, and 61 levels are all anyone can hear apart.
inline constexpr double kUserBackingStep = 0.05;

/// Fills `out` (reused across requests) from the query. `json_len` gets the JSON prefix
/// length (0 = none). Returns an error message, or nullptr on success. Body-dependent fields
/// (n_samples when audio is attached, lyrics) are settled later by the exchange service.
const char* parse_exchange(const Query& query, ExchangeRequest& out, std::size_t& json_len);

/// Parses the JSON prefix object; sets out.controls.lyrics when it has a "lyrics" string.
const char* parse_json_prefix(std::string_view json, ExchangeRequest& out);

/// Strict integer parsing (optional leading '-', digits only, no overflow).
bool parse_int64(std::string_view s, std::int64_t& out);
/// A decimal user id: digits only, fits in 64 bits.
bool parse_user_id(std::string_view s, UserId& out);

}  // namespace brigade::server
