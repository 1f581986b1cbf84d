// brigade: one POST /api request end to end, without HTTP: the transport-free exchange core.
//
//   wire::decode_request   query + body + credentials → typed request   (wire/)
//   admit                  session token and rates
//   decode                 Opus → PCM, outside the room lock
//   mix                    the room: clear, apply, mix, read (one lock)  (brigade/engine)
//   render                 the reply PCM from the copies
//   encode                 metadata + summary (wire/; a changed listing within the singer's
//                          budget, summary_pace), Opus container (shared_encoder)
//
// Any transport calls handle() with plain strings and sends the typed reply it gets back.
#pragma once

#include <string_view>

#include "admin_token.hpp"
#include "api_error.hpp"
#include "brigade/engine/room.hpp"
#include "brigade/storage/track_library.hpp"
#include "metrics.hpp"
#include "readiness.hpp"
#include "shared_encoder.hpp"
#include "singer_health.hpp"
#include "singer_session.hpp"
#include "stem_queue.hpp"
#include "wire/exchange_reply.hpp"
#include "wire/exchange_request.hpp"
#include "wire/user_summary.hpp"

namespace brigade::server {

struct ExchangeConfig {
  /// Let singers at the same delay share one Opus stream (SharedEncoders).
  bool share_encoders = true;
  /// When non-empty, room-wide controls need admin_token=<this> (or the X-Admin-Token header).
  std::string admin_token;
  /// When set, the packets of every upload mixed into a recorded song are queued here for the
  /// singers' stems (see Recorder).
  StemQueue* stems = nullptr;
  /// Reported by action=status as "instance_name" when non-empty (--instance-name).
  std::string instance_name;
  /// Every request must carry its session's token (not only those of sessions that have
  /// presented it once); original clients, which never echo it, then cannot sing.
  bool require_session_token = false;
  /// Exchanges per second one userid may send (0 = unlimited), burst of kBurstSeconds.
  double singer_requests_per_second = kDefaultSingerRequestsPerSecond;
  /// When set, every successful exchange is reported to the chart's problem detectors.
  SingerHealth* health = nullptr;

  /// 20/s: a singer sends ~1.7 (600 ms batches), at most 16.7 with the smallest batch (60 ms).
  static constexpr double kDefaultSingerRequestsPerSecond = 20.0;
  static constexpr double kBurstSeconds = 2.0;
  /// Events and chat lines one userid may add per second (bursts: kEventBurst, kChatBurst).
  static constexpr double kEventsPerSecond = 2.0;
  static constexpr double kEventBurst = 16.0;
  static constexpr double kChatLinesPerSecond = 1.0;
  static constexpr double kChatBurst = 8.0;
};

/// What the client sends back: query parameter session_token, or this header.
inline constexpr std::string_view kSessionTokenHeader = "X-Session-Token";

class ExchangeService {
 public:
  /// `tracks`, `metrics` and `readiness` may be null (no backing tracks / no counters / never
  /// drains).
  ExchangeService(Room& room, ExchangeConfig config, const TrackLibrary* tracks, Metrics* metrics,
                  const Readiness* readiness = nullptr)
      : room_(room),
        config_(std::move(config)),
        tracks_(tracks),
        metrics_(metrics),
        readiness_(readiness),
        admin_token_(config_.admin_token) {}

  /// THE entry point, for every transport (HTTP router, WebSocket session): one POST /api
  /// request given as plain strings, `query` being the raw query string (after '?', still
  /// percent-encoded), `body` the JSON prefix and Opus container, `credentials` the values of
  /// the X-Admin-Token and X-Session-Token headers (or the transport's equivalents; empty =
  /// absent). Answers action=status and audio exchanges; never throws for bad input.
  ///
  /// An exchange that fails resets this singer's codecs and leaves the room untouched (the room
  /// validates before it mutates). A request refused before that (malformed: 400; its session
  /// token or its rate: 403, 429) touches nothing, not even the singer's codecs.
  /// Thread-safe; after a singer's first request it allocates only the reply body.
  wire::ExchangeReply handle(std::string_view query, std::string_view body,
                             wire::Credentials credentials);

  /// True when the admin_token query value or the X-Admin-Token header grants room-wide
  /// controls (either one matching is enough; see AdminToken::matches_any).
  bool is_admin(std::optional<std::string_view> query_token, std::string_view header_token) const {
    return admin_token_.matches_any(query_token, header_token);
  }

  std::size_t singer_count() { return room_.user_records(); }
  SharedEncoderStats shared_encoder_stats() const { return shared_.stats(); }
  std::size_t shared_encoder_groups() { return shared_.group_count(); }

 private:
  struct Scratch;
  /// The steps of one exchange, in order. Each failing step returns the error to send.
  wire::ExchangeReply exchange(wire::DecodedRequest& in, Scratch& s);
  MaybeError admit(SingerSession& singer, const wire::DecodedRequest& in, Clock now) const;
  MaybeError decode(SingerSession& singer, const wire::DecodedRequest& in, Scratch& s);
  /// Takes this reply's packets from the shared encoder when they are all cached already, and
  /// tells the room so (req.mix_encoded_at_backing): it then leaves the mix in the ring.
  void fetch_encoded_mix(const SingerSession& singer, ExchangeRequest& req, Clock now, Scratch& s);
  MaybeError mix(const wire::DecodedRequest& in, Scratch& s);
  MaybeError encode(const wire::DecodedRequest& in, SingerSession& singer, Scratch& s,
                    wire::ExchangeReply& reply);
  /// action=status: the room's occupancy.
  wire::ExchangeReply status();

  /// Loads the requested track into req.controls.track_samples (admins only); an unknown or
  /// unreadable track is dropped from the request and reported in `adjusted`.
  void select_track(ExchangeRequest& req, Adjustments& adjusted);
  /// The requested backing track, read outside the room lock (cached: leaders resend it).
  MaybeError load_track(const std::string& name, std::shared_ptr<const std::vector<float>>& out);
  /// Issues or binds `singer`'s session token after a successful exchange; returns the token
  /// to send back (a connection's first reply only) or an empty view.
  std::string_view bind_session(SingerSession& singer, const wire::DecodedRequest& in) const;
  /// The error for a refused room exchange, with its log line (refusals are rare).
  ApiError refused(const ExchangeRequest& req, const ExchangeOutcome& outcome);
  /// Appends the reply's Opus container (shared stream or the singer's own encoder).
  MaybeError encode_audio(const ExchangeRequest& req, const ExchangeResult& result,
                          SingerSession& singer, std::span<const float> audio,
                          std::string_view encoded_mix, std::string& out);

  Room& room_;
  const ExchangeConfig config_;
  const TrackLibrary* tracks_;
  Metrics* metrics_;
  const Readiness* readiness_;
  const AdminToken admin_token_;
  wire::SummaryCache summaries_;
  SharedEncoders shared_;
  std::mutex track_mutex_;
  std::string cached_track_name_;
  std::uint64_t cached_generation_ = 0;
  std::shared_ptr<const std::vector<float>> cached_track_;
};

}  // namespace brigade::server
