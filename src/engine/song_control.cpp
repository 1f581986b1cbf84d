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
    return {ExchangeStatus::kForbidden, "only the leader (or an operator) can hand the lead over"};
  }
  const bool controls_song = ask.take_lead || ask.start || ask.stop;
  if (state.running && controls_song) {
    if (state.operators_exist) {
      return {ExchangeStatus::kForbidden,
              "a song is running: only its leader or an operator with the admin token can take "
              "the lead, start or stop it"};
    }
    return {ExchangeStatus::kConflict,
            "a song is running: only its leader can take the lead, start or stop it"};
  }
  if (ask.take_lead && state.operators_exist && state.policy == LeadPolicy::kOperators) {
    return {ExchangeStatus::kForbidden, "on this server only operators (admin token) may lead"};
  }
  if (ask.start && state.leader && !ask.take_lead) {  // taking the lead in the same request
    return {ExchangeStatus::kConflict,
            "someone else is leading: only the leader can start the song"};
  }
  return {};
}

}  // namespace brigade
