// brigade-loadtest: what one simulated singer sends, per client it imitates.
//
// `page` (the default) is brigade's singer page (web/session.js), request for request: the
// clock GET, then one exchange per 600 ms batch; read-only exchanges (no write_clock, empty
// body) until the page's microphone would hold a whole batch (first reply + 0.5 s lead-in +
// latency + 600 ms), then exactly 10 Opus packets at the page's 64 kb/s, write_clock starting
// at the first read clock minus twice the Opus lookahead and advancing with read_clock;
// user_summary on every exchange with the user_summary_version it holds, dropped to refresh the
// levels at the page's cadence; its reconnect back-off. `original` is the original Bucket
// Brigade client: the same placeholders and lockstep clocks, its parameter order, user_summary
// on every exchange but a connection's first and never a version, uploads near 256 kb/s (what
// its encoder produces after a reconnect), and an immediate reconnect after an error.
// tests/browser/fidelity.test.mjs compares the page profile with a recorded page session.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/constants.hpp"
#include "client/api_wire.hpp"

namespace brigade::loadtest {

enum class Profile { kPage, kOriginal };

/// The constants of one profile.
struct ProfileSpec {
  std::string_view name;
  int upload_bitrate = 64'000;   ///< bits per second of the uploaded Opus
  bool summary_on_first = true;  ///< user_summary on a connection's first exchange
  bool summary_version = true;   ///< echo user_summary_version (the page's cadence)
  /// The page's reconnects (web/reconnect.js): a jittered back-off after errors, and a
  /// connection's first exchange a random part of a batch after its clock reply.
  bool page_reconnects = true;
  int default_timeout_ms = 8'000;  ///< how long the client waits for an exchange
};

const ProfileSpec& spec(Profile p);
/// "page" / "original" → the profile; nothing for another name.
std::optional<Profile> parse_profile(std::string_view name);

/// Silence the page plays before the first received sample (web/session.js LEAD_IN).
inline constexpr auto kLeadIn = std::chrono::milliseconds(500);
/// Opus lookahead (6.5 ms) at 48 kHz; the page's first write clock is the first read clock
/// minus two of them (web/session.js CODEC_DELAY).
inline constexpr Clock kCodecDelay = codec::kCodecDelaySamples;
/// The page's level refresh: at most every 1.2 s, and no more often than keeps full summaries
/// near 2,000 bytes per second (web/room-model.js LEVELS_MIN_MS, SUMMARY_BYTES_PER_SECOND).
inline constexpr auto kLevelsMin = std::chrono::milliseconds(1200);
inline constexpr double kSummaryBytesPerSecond = 2'000.0;
/// The page's reconnect back-off: the first wait, its cap, and the wait after a connection
/// that had exchanged successfully (web/reconnect.js BACKOFF_*, web/session.js); each wait is
/// drawn between half of it and all of it.
inline constexpr auto kBackoffFirst = std::chrono::milliseconds(1'000);
inline constexpr auto kBackoffMax = std::chrono::milliseconds(10'000);
inline constexpr auto kBackoffAfterOk = std::chrono::milliseconds(2'000);

/// How long the page keeps its user-summary version before asking for the levels again.
std::chrono::milliseconds summary_refresh_interval(std::size_t listed_singers);

/// One exchange's fields, in the terms both clients share.
struct ExchangeFields {
  std::uint64_t userid = 0;
  Clock read_clock = 0;
  std::optional<Clock> write_clock;
  Clock n_samples = 0;
  std::string username;
  bool reset_user_state = false;
  bool user_summary = false;
  std::optional<std::uint64_t> summary_version;
  bool request_lead = false;
  bool mark_start_singing = false;
  bool mark_stop_singing = false;
  /// The server's session credential, echoed by the page profile only (web/protocol.js).
  std::string session_token;
};

/// The query parameters in the order the client writes them.
std::vector<client::QueryParam> exchange_params(Profile p, const ExchangeFields& f);
/// path + "?" + the encoded query.
std::string exchange_target(Profile p, const ExchangeFields& f, std::string_view path);

}  // namespace brigade::loadtest
