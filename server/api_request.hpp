// brigade: the audio exchange's query parameters → a typed, range-checked ExchangeRequest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/engine/exchange.hpp"
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
/// Friendly volumes are 0..2 in every UI; we allow a little headroom and clamp beyond it.
inline constexpr double kMaxFriendlyVolume = 3.0;
/// user_backing_volume is rounded to this step (the page's slider step): the reply audio, and so
/// the shared-encoder group, depends on it, and 61 levels are all anyone can hear apart.
inline constexpr double kUserBackingStep = 0.05;

/// A singer's microphone level on the mixing console (0..2, 1 = unchanged).
inline constexpr double kMaxMicVolume = 2.0;

/// A value the original server accepted but that lies outside our bounds, brought within them
/// instead of refusing the whole exchange (a refusal makes the original page reconnect and drop
/// its one-shot flags, e.g. a chat line). Reported in the reply metadata's "adjusted" list.
struct Adjustment {
  std::string_view param;  ///< the query parameter (a literal)
  std::string message;     ///< what was done, in words
};
using Adjustments = std::vector<Adjustment>;

/// Fills `out` (reused across requests) from the query. `json_len` gets the JSON prefix
/// length (0 = none). Returns an error message, or nullptr on success. Body-dependent fields
/// (n_samples when audio is attached, lyrics) are settled later by the exchange service.
/// Friendly volumes outside 0..kMaxFriendlyVolume are clamped and chat lines longer than
/// kMaxChatBytes cut (at a character boundary); each is recorded in `adjusted` (cleared first)
/// when given. Malformed values (not numbers, not JSON, not UTF-8) are still refused.
const char* parse_exchange(const Query& query, ExchangeRequest& out, std::size_t& json_len,
                           Adjustments* adjusted = nullptr);

/// Parses the JSON prefix object; sets out.controls.lyrics when it has a "lyrics" string.
const char* parse_json_prefix(std::string_view json, ExchangeRequest& out);

/// The whole decode of an exchange: parse_exchange, then the JSON prefix cut from the front of
/// `body` by json_len; `audio` gets the rest of the body (the Opus container, unparsed).
/// Returns an error message, or nullptr on success.
const char* decode_exchange(const Query& query, std::string_view body, ExchangeRequest& out,
                            std::string_view& audio, Adjustments* adjusted = nullptr);

/// Strict integer parsing (optional leading '-', digits only, no overflow).
bool parse_int64(std::string_view s, std::int64_t& out);
/// A clock from the wire: an integer in [0, kMaxClock].
bool parse_clock(std::string_view s, Clock& out);
/// A decimal user id: digits only, fits in 64 bits.
bool parse_user_id(std::string_view s, UserId& out);

}  // namespace brigade::server
