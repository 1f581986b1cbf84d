// brigade: per-singer codec state, created on a singer's first request.
//
// A Singer's codecs are stateful and must be used by one thread at a time: hold
// Singer::mutex for the whole decode → room → encode of one request. Different singers run
// in parallel. Lock order: Singer::mutex, then the room's.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/engine/exchange.hpp"
#include "rate_budget.hpp"

namespace brigade::server {

struct Singer {
  std::mutex mutex;
  codec::Decoder decoder;
  /// The singer's own encoder, made when first needed (a shared-encoder miss or a reply that
  /// cannot share): with shared encoding most singers never need one, and it is 43.6 KB.
  std::optional<codec::Encoder> own_encoder;
  Clock last_used = 0;  ///< guarded by the registry's mutex
  /// This connection's delay in whole seconds, fixed at its first request: the group whose
  /// encoder stream it shares (see SharedEncoders).
  std::optional<std::int64_t> share_delay_seconds;
  /// The session credential handed out on reset_user_state; empty = none issued yet.
  std::string session_token;
  /// Once bound, every request for this id must carry session_token (see ExchangeService).
  bool session_bound = false;
  /// Requests, events and chat lines this id may still send (guarded by `mutex`).
  RateBudget requests, events, chats;
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
    ++codec_resets;
  }
};

/// Singers by id. Entries unused for kUserLifetimeSamples are dropped (the original kept codec
/// pairs forever), and at most `capacity` are kept: a new id beyond it evicts the entry used
/// longest ago (an entry in use stays alive through its shared_ptr).
class SingerRegistry {
 public:
  explicit SingerRegistry(std::size_t capacity) : capacity_(capacity) {}

  /// The singer's state, created on first use (creation allocates; later calls do not).
  std::shared_ptr<Singer> get(UserId id, Clock now);
  std::size_t size();

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<UserId, std::shared_ptr<Singer>> singers_;
  Clock last_sweep_ = 0;
};

}  // namespace brigade::server
