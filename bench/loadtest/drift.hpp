// brigade-loadtest: clock drift, watched as the singer page watches it (web/clock-drift.js).
//
// The server's clock is the reference. Every reply says where the server was (server_clock)
// when it handled a read that ended at read_clock; their difference is the singer's delay plus
// the request's network and queueing time. The minimum over a window of replies filters the
// queueing out; its change since the connection's first window is the drift of the singer's
// clock against the server's. Past half an Opus frame the singer re-anchors: it reconnects,
// which puts its reads back at exactly its bucket's delay, so the offset stays within ±1 frame.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "brigade/constants.hpp"

namespace brigade::loadtest {

/// Replies per minimum-filter window (4.8 s at 600 ms batches).
inline constexpr int kDriftWindowReplies = 8;
/// Re-anchor when the drift passes half an Opus frame (30 ms).
inline constexpr Clock kReanchorSamples = kOpusFrameSamples / 2;

class DriftWatch {
 public:
  void reset() { *this = DriftWatch{}; }
  /// One good reply: `lag` = server_clock - read_clock. Returns the drift once the first
  /// window is complete (updated at the end of every window).
  std::optional<Clock> observe(Clock lag) {
    window_min_ = count_ % kDriftWindowReplies == 0 ? lag : std::min(window_min_, lag);
    ++count_;
    if (count_ % kDriftWindowReplies != 0) return drift_;
    if (!reference_) reference_ = window_min_;
    drift_ = window_min_ - *reference_;
    return drift_;
  }
  bool needs_reanchor() const { return drift_ && std::llabs(*drift_) > kReanchorSamples; }

 private:
  int count_ = 0;
  Clock window_min_ = 0;
  std::optional<Clock> reference_, drift_;
};

}  // namespace brigade::loadtest
