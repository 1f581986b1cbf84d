// brigade: the byte budget for a changed user listing, one per singer, on both transports
// (README, "User-summary version"). A summary of B bytes sent to a singer is followed by at
// least max(600 ms, max(B, N) / 2,000 B/s) before the next changed listing, of N bytes, goes to
// that singer: over
// HTTP the reply leaves it out meanwhile (as for an unchanged listing), over a pushing WebSocket
// the push waits. While a room fills, every join changes the listing; without a budget each
// singer was sent the whole summary (51 B per singer) in almost every 600 ms reply.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>

#include "brigade/constants.hpp"

namespace brigade::server {

/// Summary bytes a singer may be sent per second for a changed listing, on average: the page's
/// level-refresh figure (web/room-model.js SUMMARY_BYTES_PER_SECOND), so a changed listing
/// costs no more than refreshing the levels does (a 1,000-singer summary: every 25.5 s).
inline constexpr double kSummaryChangeBytesPerSecond = 2'000.0;
/// And no two summaries closer than this (a page's exchange period, 600 ms).
inline constexpr std::chrono::milliseconds kSummaryMinInterval{600};

/// A pace's times and waits: microseconds on whichever one clock its owner keeps (the exchange:
/// the server's sample clock, see pace_time; the WebSocket pusher: steady_clock).
using PaceTime = std::chrono::microseconds;

/// The wait after a summary of `bytes` before a changed listing may follow:
/// max(kSummaryMinInterval, bytes / bytes_per_second).
constexpr PaceTime summary_wait(std::size_t bytes,
                                double bytes_per_second = kSummaryChangeBytesPerSecond) {
  const auto for_bytes =
      PaceTime(static_cast<PaceTime::rep>(static_cast<double>(bytes) * 1e6 / bytes_per_second));
  return std::max<PaceTime>(kSummaryMinInterval, for_bytes);
}

/// The server's sample clock as a PaceTime (one sample is 125/6 µs; rounded down).
constexpr PaceTime pace_time(Clock server_clock) {
  static_assert(kSampleRate == 48'000, "125/6 µs per sample (x 10^6 / rate would overflow)");
  return PaceTime(server_clock * 125 / 6);
}

/// What a reply to a request with user_summary did with the summary (brigade_user_summaries_total).
enum class SummaryReply {
  kSent,       ///< the whole summary
  kUnchanged,  ///< left out: the client holds the current version
  kDeferred,   ///< left out: the listing changed, but this singer's pace is not due
};

/// When one singer's next changed listing may be sent: the previous summary's time and size.
/// Not thread-safe: its owner's lock guards it.
class SummaryPace {
 public:
  /// A changed listing of `next_bytes` may be sent at `now`: none sent yet, the wait of the
  /// larger of it and the previous one is over, or the clock went back (a wall clock set back
  /// must not hold the listing off for as long). Waiting for the larger one keeps a room that
  /// fills from sending a small listing and, soon after, the full one.
  constexpr bool due(PaceTime now, std::size_t next_bytes = 0) const {
    return !sent_at_ || now < *sent_at_ ||
           now - *sent_at_ >= summary_wait(std::max(sent_bytes_, next_bytes));
  }
  /// A summary of `bytes` was sent at `now` (whether its listing changed or not).
  constexpr void sent(std::size_t bytes, PaceTime now) {
    sent_at_ = now;
    sent_bytes_ = bytes;
  }

 private:
  std::optional<PaceTime> sent_at_;
  std::size_t sent_bytes_ = 0;
};

}  // namespace brigade::server
