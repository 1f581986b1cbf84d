// brigade: the wire decode of one POST /api request: raw query + body + credential headers →
// one complete, validated, typed DecodedRequest (or an ApiError). Every parameter name of the
// exchange lives in this file's .cpp, and every value is checked here once: nothing after it
// reads the query again.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin_token.hpp"
#include "api_error.hpp"
#include "brigade/codec/packet_container.hpp"
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

namespace wire {

/// What a request carries outside its query, from whatever transport: the credentials as plain
/// strings (HTTP headers X-Admin-Token and X-Session-Token; empty = absent), and whether the
/// transport pushes the singer's chat lines (a WebSocket opened with push=1).
struct Credentials {
  std::string_view admin_token;
  std::string_view session_token;
  bool chats_pushed = false;
};

/// What a POST /api asks for.
enum class RequestKind { kExchange, kStatus };

/// One decoded request, complete: the exchange service reads nothing else. Reused per thread
/// (strings and vectors keep their capacity), so decoding allocates nothing in steady state.
struct DecodedRequest {
  RequestKind kind = RequestKind::kExchange;
  /// The engine's request: typed and range-checked, `admin` decided from the admin token,
  /// n_samples settled (from the query, or from the audio when it is attached), lyrics from
  /// the JSON prefix, the track name (its samples are loaded later, by the exchange).
  ExchangeRequest exchange;
  /// The upload's Opus packets (views into the body); empty when no audio is attached.
  PacketList packets;
  /// The session token the client presented (header over query), if any.
  std::optional<std::string_view> session_token;
  /// Values brought within bounds, reported in the reply metadata.
  Adjustments adjusted;
  /// The percent-decoded query: the views above point into it.
  Query query;

  bool has_audio() const { return packets.count > 0; }
};

/// Decodes one POST /api request. `raw_query` is the part after '?'; `body` is the optional
/// JSON prefix (json_len bytes) followed by the Opus container. Returns the first thing wrong
/// with it, with the message clients see (400, reason bad_request or bad_audio).
MaybeError decode_request(std::string_view raw_query, std::string_view body,
                          Credentials credentials, const AdminToken& admin_token,
                          DecodedRequest& out);

/// The query part alone: fills out.exchange (controls included, lyrics and n_samples from the
/// audio excepted) and `json_len` (0 = no JSON prefix). Friendly volumes outside
/// 0..kMaxFriendlyVolume are clamped and chat lines longer than kMaxChatBytes cut (at a
/// character boundary); each is recorded in `adjusted` (cleared first) when given. Malformed
/// values (not numbers, not JSON, not UTF-8) are refused.
MaybeError decode_query(const Query& query, ExchangeRequest& out, std::size_t& json_len,
                        Adjustments* adjusted = nullptr);

/// Parses the JSON prefix object; sets out.controls.lyrics when it has a "lyrics" string.
MaybeError decode_json_prefix(std::string_view json, ExchangeRequest& out);

/// Parses the Opus container and settles out.n_samples against it: the length the packets
/// decode to (read from their headers) must be whole 60 ms frames, at most kMaxExchangeSamples,
/// and equal to n_samples when the query gave one. Without audio, n_samples is required.
MaybeError decode_audio(std::string_view audio, ExchangeRequest& out, PacketList& packets);

}  // namespace wire

/// Strict integer parsing (optional leading '-', digits only, no overflow).
bool parse_int64(std::string_view s, std::int64_t& out);
/// A clock from the wire: an integer in [0, kMaxClock].
bool parse_clock(std::string_view s, Clock& out);
/// A decimal user id: digits only, fits in 64 bits.
bool parse_user_id(std::string_view s, UserId& out);

}  // namespace brigade::server
