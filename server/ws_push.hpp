// brigade: what an exchange WebSocket opened with ?push=1 pushes (README, "The exchange over a
// WebSocket"): the user summary when it changes, and this singer's chat lines as they arrive,
// as text messages of JSON, beside the binary replies. Beast-free: the session
// (ws_session.cpp) runs the timer and the queue; this file owns the bytes and the pacing.
//
//   {"push": "summary", "user_summary_version": V,
//    "users": [["<id>", "<name>", mic_volume, rms, delay_seconds, flags], …]}
//   {"push": "chats", "chats": [["<sender>", "<text>"], …]}
//
// flags: 1 muted, 2 soloed (the binary summary's byte); mic_volume and rms to four decimals.
// Users in the binary summary's order.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "brigade/engine/user_summary.hpp"
#include "summary_pace.hpp"

namespace brigade::server {

/// How often the server's one push timer (ws_push_ticker.hpp) looks at every pushing socket:
/// a chat line is pushed within this. A look reads a few atomics per socket (at 100 ms, 0.7%
/// of a core for 500 sockets); only a socket with something that may be due is woken.
inline constexpr std::chrono::milliseconds kWsPushPeriod{250};
/// A changed listing is pushed within the budget HTTP replies keep (summary_pace.hpp): no
/// sooner than max(kSummaryMinInterval, larger of this push and the previous one /
/// kSummaryChangeBytesPerSecond) after the previous summary push (1,000 singers: every ~25 s).
/// An unchanged listing with new levels (rms) is pushed every max(600 ms, size / 2,000 B/s):
/// the server knows the room's size, so unlike the page over HTTP (1.2 s) it needs no second
/// reply to learn it.
inline constexpr std::chrono::milliseconds kWsLevelsMinInterval{600};
inline constexpr double kWsLevelsBytesPerSecond = 2'000.0;
/// Pushes waiting unsent in one socket's queue: at most one summary (a newer one replaces it)
/// and one chat message, besides the one being written.
inline constexpr std::size_t kMaxWsQueuedPushes = 3;

/// The upgrade's query ("" when none) opts in with push=1.
bool ws_push_requested(std::string_view upgrade_query);

/// The userid= of an exchange's query (raw, as sent), when it is a plain decimal 64-bit integer.
std::optional<std::uint64_t> ws_query_userid(std::string_view query);

/// Writes a summary push into `out` (cleared first).
void encode_summary_push(std::span<const SummaryEntry> users, std::uint64_t version,
                         std::string& out);
/// A room's summary push, encoded once per listing for all its pushing sockets: the JSON is the
/// same for each of them, and encoding it per socket cost O(singers²) whenever the listing
/// changed (600 sockets × 30 KB at 600 singers).
class SummaryPushCache {
 public:
  /// The push for `listing` at `version`: the cached bytes when they are for this listing and
  /// version, else newly encoded (and cached).
  std::shared_ptr<const std::string> encoded(const std::shared_ptr<const SummaryListing>& listing,
                                             std::uint64_t version);

 private:
  std::mutex mutex_;
  std::shared_ptr<const SummaryListing> listing_;
  std::uint64_t version_ = 0;
  std::shared_ptr<const std::string> bytes_;
};

/// Writes a chats push into `out` (cleared first).
void encode_chats_push(std::span<const std::pair<std::string, std::string>> chats,
                       std::string& out);

/// When one socket's next summary push is due.
class SummaryPushPacer {
 public:
  using Clock = std::chrono::steady_clock;

  /// A push of `listing` (version `version`) is due at `now`.
  /// (`next_bytes`: the push's size; a changed listing waits for the larger of it and the
  /// previous push, as SummaryPace::due.)
  bool due(const std::shared_ptr<const SummaryListing>& listing, std::uint64_t version,
           Clock::time_point now, std::size_t next_bytes = 0) const;
  /// A push could be due at `now` (false: none is, whatever the listing; no need to look).
  bool may_be_due(Clock::time_point now) const { return now >= first_possible(); }
  /// The first time a push could be due (the epoch: at once, none was pushed yet).
  Clock::time_point first_possible() const;
  /// A push of `bytes` was queued at `now`.
  void pushed(std::shared_ptr<const SummaryListing> listing, std::uint64_t version,
              std::size_t bytes, Clock::time_point now);

 private:
  std::shared_ptr<const SummaryListing> listing_;  ///< the last pushed (its levels)
  std::uint64_t version_ = 0;
  std::size_t bytes_ = 0;
  std::optional<Clock::time_point> at_;
};

}  // namespace brigade::server
