// brigade: song-control rules.
#include "brigade/engine/song_control.hpp"

namespace brigade {

SongControlAsk song_control_ask(const ExchangeRequest& req) {
  const RoomControls& c = req.controls;
  return {.who = req.user_id,
          .is_operator = req.holds_admin_token,
          .take_lead = c.request_lead,
          .start = c.mark_start_singing,
          .stop = c.mark_stop_singing,
          .hand_to = c.hand_lead};
}

ExchangeOutcome check_song_control(const SongControlState& state, const SongControlAsk& ask) {
  const bool is_leader = state.leader && *state.leader == ask.who;
  if (ask.is_operator || is_leader) return {};
  if (ask.hand_to) {
    return {ExchangeStatus::kForbidden, Refusal::kHandLeadNotLeader};
  }
  const bool controls_song = ask.take_lead || ask.start || ask.stop;
  if (state.running && controls_song) {
    if (state.operators_exist) {
      return {ExchangeStatus::kForbidden, Refusal::kSongRunningOperators};
    }
    return {ExchangeStatus::kConflict, Refusal::kSongRunning};
  }
  if (ask.take_lead && state.operators_exist && state.policy == LeadPolicy::kOperators) {
    return {ExchangeStatus::kForbidden, Refusal::kLeadOperatorsOnly};
  }
  if (ask.start && state.leader && !ask.take_lead) {  // taking the lead in the same request
    return {ExchangeStatus::kConflict, Refusal::kSomeoneElseLeads};
  }
  return {};
}

}  // namespace brigade
