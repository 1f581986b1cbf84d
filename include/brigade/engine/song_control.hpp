// brigade: who may take the lead, start, stop or hand over a song. A pure function of the song's
// state and the request, so the rules are testable without a room.
#pragma once

#include <optional>

#include "brigade/engine/exchange.hpp"

namespace brigade {

/// Who may take the lead before a song (`--who-may-lead`); only meaningful when the server
/// has an admin token, since without one nobody can prove to be an operator.
enum class LeadPolicy { kAnyone, kOperators };

/// What the rules need to know about the room.
struct SongControlState {
  bool running = false;          ///< started and not ended
  std::optional<UserId> leader;  ///< current leader, if any
  bool operators_exist = false;  ///< the server has an admin token
  LeadPolicy policy = LeadPolicy::kAnyone;
};

/// What the rules need to know about the request.
struct SongControlAsk {
  UserId who = 0;
  bool is_operator = false;  ///< carries the server's (configured) admin token
  bool take_lead = false;
  bool start = false;
  bool stop = false;
  std::optional<UserId> hand_to;
};

SongControlAsk song_control_ask(const ExchangeRequest& req);

/// Ok, or why the request is refused (403 when the admin token would allow it, 409 when the
/// running song's state forbids it). A refused request changes nothing.
ExchangeOutcome check_song_control(const SongControlState& state, const SongControlAsk& ask);

}  // namespace brigade
