// brigade wire: refusal messages.
#include "wire/refusal.hpp"

namespace brigade::server::wire {

std::string_view refusal_message(Refusal reason) {
  switch (reason) {
    case Refusal::kNone:
      return "";
    case Refusal::kUploadLength:
      return "upload length differs from n_samples";
    case Refusal::kBadNSamples:
      return "bad n_samples";
    case Refusal::kReadClockFuture:
      return "read clock is in the future";
    case Refusal::kReadClockTooOld:
      return "read clock is older than the ring";
    case Refusal::kWriteClockFuture:
      return "write clock is in the future";
    case Refusal::kWriteClockTooOld:
      return "write clock is too far in the past";
    case Refusal::kReadDesync:
      return "read clock desync";
    case Refusal::kWriteDesync:
      return "write clock desync";
    case Refusal::kRoomFull:
      return "room is full";
    case Refusal::kDraining:
      return "the server is shutting down: no new singers";
    case Refusal::kRoomWideNeedsAdmin:
      return "room-wide controls need the admin token";
    case Refusal::kOthersNeedAdmin:
      return "controls over other singers need the admin token";
    case Refusal::kHandLeadNobody:
      return "hand_lead names no singer present";
    case Refusal::kHandLeadNotLeader:
      return "only the leader (or an operator) can hand the lead over";
    case Refusal::kSongRunningOperators:
      return "a song is running: only its leader or an operator with the admin token can take "
             "the lead, start or stop it";
    case Refusal::kSongRunning:
      return "a song is running: only its leader can take the lead, start or stop it";
    case Refusal::kLeadOperatorsOnly:
      return "on this server only operators (admin token) may lead";
    case Refusal::kSomeoneElseLeads:
      return "someone else is leading: only the leader can start the song";
  }
  return "refused";
}

}  // namespace brigade::server::wire
