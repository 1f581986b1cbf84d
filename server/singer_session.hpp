// brigade: what the server keeps for one singer beside its room state: its codecs, session
// token, rate budgets and summary pace. It is the attachment of the singer's one roster record
// (Room owns it: see brigade/engine/roster.hpp for the one eviction policy), fetched per request
// with room.attachment<SingerSession>(id).
//
// The codecs are stateful and must be used by one thread at a time: hold `mutex` for the whole
// decode → room → encode of one request. Different singers run in parallel. Lock order: take
// the attachment (room lock, released), then SingerSession::mutex, then the room's (inside
// Room::exchange).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/engine/singer.hpp"
#include "rate_budget.hpp"
#include "summary_pace.hpp"

namespace brigade::server {

struct SingerSession final : SingerAttachment {
  std::mutex mutex;
  codec::Decoder decoder;
  /// The singer's own encoder, made when first needed (a shared-encoder miss or a reply that
  /// cannot share): with shared encoding most singers never need one, and it is 43.6 KB.
  std::optional<codec::Encoder> own_encoder;
  /// This connection's delay in whole seconds, fixed at its first request: the group whose
  /// encoder stream it shares (see SharedEncoders).
  std::optional<std::int64_t> share_delay_seconds;
  /// The own-backing level of its last shared reply: with the delay, the group whose cached
  /// packets a reply may take before the room (ExchangeService::fetch_encoded_mix).
  std::optional<float> share_backing;
  /// The session credential handed out on reset_user_state; empty = none issued yet.
  std::string session_token;
  /// Once bound, every request for this id must carry session_token (see ExchangeService).
  bool session_bound = false;
  /// Requests, events and chat lines this id may still send (guarded by `mutex`).
  RateBudget requests, events, chats;
  /// When this singer's next changed listing may be sent (a reply to a request echoing its
  /// user_summary_version leaves it out until then). Survives reset(), as the budgets do.
  SummaryPace summary_pace;
  /// Times reset() ran (reset_user_state or an error): the chart's codec-reset detector.
  std::uint32_t codec_resets = 0;

  /// The own encoder, made on first use (a one-time allocation per singer).
  codec::Encoder& encoder() {
    if (!own_encoder) own_encoder.emplace();
    return *own_encoder;
  }

  /// Fresh codec state (reset_user_state, or after any error on this singer's request). The
  /// session and the rate budgets survive it.
  void reset() {
    decoder.reset();
    if (own_encoder) own_encoder->reset();
    share_delay_seconds.reset();
    share_backing.reset();
    ++codec_resets;
  }
};

}  // namespace brigade::server
