// brigade-loadtest: the song's progress, which the singers of a run share (the leader's lead,
// start and stop; the song's clocks as the server reports them).
//
// Threading: read and written on the run's one io thread.
#pragma once

#include <chrono>
#include <optional>

#include "brigade/constants.hpp"

namespace brigade::loadtest {

using SteadyClock = std::chrono::steady_clock;

/// Song progress shared by the singers of a run (one thread).
struct SongState {
  bool enabled = false;
  int active_needed = 0;  ///< singers that must have exchanged before the lead is requested
  int active = 0;         ///< singers with at least one good exchange
  SteadyClock::time_point lead_deadline;  ///< request the lead by then even if some are missing
  bool lead_sent = false;                 ///< request_lead went out (and did not fail)
  bool lead_assigned = false;             ///< the leader got its delay_seconds
  bool start_sent = false;                ///< mark_start_singing went out (and did not fail)
  bool stop_wanted = false;               ///< the runner asks the leader to stop the song
  bool stop_sent = false;
  Clock start_clock = 0;  ///< song_start_clock as the server reported it (>1: a real song)
  Clock end_clock = 0;    ///< song_end_clock, once stopped
  int first_bucket = 3;   ///< seconds, from the replies
  /// Verify: the leader asks to stop once its reads pass start_clock + this.
  std::optional<Clock> stop_after;
};

}  // namespace brigade::loadtest
