// brigade: the exchange pipeline, step by step.
#include "exchange_service.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "brigade/codec/packet_container.hpp"
#include "log.hpp"
#include "room_log.hpp"
#include "session_token.hpp"
#include "wire/refusal.hpp"

namespace brigade::server {

/// Per-thread buffers, sized once for the largest exchange: a request is handled start to end
/// on one thread, so nothing here is shared and nothing is allocated per request.
struct ExchangeService::Scratch {
  wire::DecodedRequest request;
  ExchangeResult result;
  std::vector<float> upload =
      std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples) + codec::kMaxPacketSamples);
  std::vector<float> audio = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<float> backing = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<WriterCount> writers =
      std::vector<WriterCount>(static_cast<std::size_t>(kMaxExchangeSamples));
  /// The reply's packets taken from the shared encoder before the room (see kMixEncoded).
  std::string encoded_mix =
      reserved(kMaxExchangeSamples / kOpusFrameSamples *
               static_cast<Clock>(codec::kMaxReplyPacketBytes + kPacketLengthBytes));

  /// The request's interval in each buffer (n_samples long).
  std::span<const float> upload_block(Clock n) const { return std::span(upload).first(size(n)); }
  ExchangeBuffers buffers(Clock n) {
    return {std::span(audio).first(size(n)), std::span(backing).first(size(n)),
            std::span(writers).first(size(n))};
  }
  static std::size_t size(Clock n) { return static_cast<std::size_t>(n); }
  static std::string reserved(Clock bytes) {
    std::string out;
    out.reserve(size(bytes) + kContainerCountBytes);
    return out;
  }
};

namespace {

/// Hands an upload's packets (views into the request body) to the stem recorder: one copy into
/// its bounded queue, dropped there when full.
void queue_stem(StemQueue& stems, const wire::DecodedRequest& in, const ExchangeResult& result) {
  const ExchangeRequest& req = in.exchange;
  const std::string_view name = req.name.empty() ? std::string_view("<anonymous>") : req.name;
  stems.push(StemUpload{.song = result.recorded_song,
                        .song_start = result.song.start(),
                        .user = req.user_id,
                        .begin = *req.write_clock - req.n_samples,
                        .name = truncate_utf8(name, kMaxNameBytes)},
             in.packets.view());
}

/// What the chart's problem detectors learn from one successful exchange.
UploadObservation observation(const wire::DecodedRequest& in, const ExchangeResult& result,
                              std::span<const float> upload, const SingerSession& singer) {
  const ExchangeRequest& req = in.exchange;
  return {.user = req.user_id,
          .arrival = result.server_clock,
          .read_clock = req.read_clock,
          .write_clock = req.write_clock,
          .n_samples = req.n_samples,
          .upload = in.has_audio() ? upload : std::span<const float>{},
          .reset_user_state = req.reset_user_state,
          .codec_resets = singer.codec_resets};
}

/// The reply PCM, made from the copies the room handed out (in place, in buffers.audio).
void render(const ExchangeResult& result, std::span<const float> upload,
            const ExchangeBuffers& buffers) {
  switch (result.source) {
    case ReplySource::kMix:
      render_reply(buffers.audio, buffers.backing, buffers.writers, result.levels);
      break;
    case ReplySource::kMixEncoded:  // its packets are taken already: no PCM needed
    case ReplySource::kSolo:
      break;
    case ReplySource::kLoopback:
      std::transform(upload.begin(), upload.end(), buffers.audio.begin(),
                     [g = result.loopback_gain](float x) { return x * g; });
      break;
    case ReplySource::kSilence:
      std::fill(buffers.audio.begin(), buffers.audio.end(), 0.0f);
      break;
  }
}

/// What the reply does with the summary the room handed out (null: not asked, or unchanged).
/// A changed listing goes to a client that echoes its version only when this singer's pace
/// allows; a client that never echoes one (the original) gets every summary it asks for.
SummaryReply summary_reply(const ExchangeRequest& req, const ExchangeResult& result,
                           const SummaryPace& pace) {
  if (!result.summary) return SummaryReply::kUnchanged;
  const bool versioned = req.known_summary_version.has_value();
  const std::size_t bytes = wire::summary_block_bytes(result.summary->size());
  return versioned && !pace.due(pace_time(result.server_clock), bytes) ? SummaryReply::kDeferred
                                                                       : SummaryReply::kSent;
}

/// Leaves a deferred summary out exactly as an unchanged one, reporting the version the client
/// holds: it keeps its listing and asks again with the same version.
void defer_summary(ExchangeResult& result, std::uint64_t known_version) {
  result.summary = nullptr;
  result.summary_unchanged = true;
  result.summary_version = known_version;
}

}  // namespace

wire::ExchangeReply ExchangeService::handle(std::string_view query, std::string_view body,
                                            wire::Credentials credentials) {
  thread_local Scratch s;
  if (auto e = wire::decode_request(query, body, credentials, admin_token_, s.request)) {
    return wire::ExchangeReply::failed(std::move(*e));
  }
  if (s.request.kind == wire::RequestKind::kStatus) return status();
  return exchange(s.request, s);
}

wire::ExchangeReply ExchangeService::exchange(wire::DecodedRequest& in, Scratch& s) {
  ExchangeRequest& req = in.exchange;
  req.admit_new_singers = !readiness_ || !readiness_->draining();
  select_track(req, in.adjusted);
  const std::shared_ptr<SingerSession> singer = room_.attachment<SingerSession>(req.user_id);
  std::lock_guard singer_lock(singer->mutex);
  const Clock now = room_.now();
  if (auto e = admit(*singer, in, now)) return wire::ExchangeReply::failed(std::move(*e));
  if (req.reset_user_state) singer->reset();
  wire::ExchangeReply reply;
  MaybeError e = decode(*singer, in, s);
  if (!e) {
    fetch_encoded_mix(*singer, req, now, s);
    e = mix(in, s);
  }
  if (!e) {
    if (config_.health) {
      config_.health->record(observation(in, s.result, s.upload_block(req.n_samples), *singer));
    }
    render(s.result, s.upload_block(req.n_samples), s.buffers(req.n_samples));
    e = encode(in, *singer, s, reply);
  }
  if (e) {
    singer->reset();  // the client reconnects with reset_user_state: fresh codecs both sides
    return wire::ExchangeReply::failed(std::move(*e));
  }
  return reply;
}

MaybeError ExchangeService::admit(SingerSession& singer, const wire::DecodedRequest& in,
                                  Clock now) const {
  const ExchangeRequest& req = in.exchange;
  const auto& token = in.session_token;
  if (!singer.session_token.empty() && (singer.session_bound || config_.require_session_token)) {
    if (!token || !session_token_equal(*token, singer.session_token)) {
      return ApiError::of_status(403, "this singer's session needs its session_token");
    }
  } else if (singer.session_token.empty() && config_.require_session_token &&
             !req.reset_user_state) {
    return ApiError::of_status(403, "start with reset_user_state to get a session_token");
  }
  const double rate = config_.singer_requests_per_second;
  const RateLimit requests{rate, rate * ExchangeConfig::kBurstSeconds};
  const RateLimit events{ExchangeConfig::kEventsPerSecond, ExchangeConfig::kEventBurst};
  const RateLimit chats{ExchangeConfig::kChatLinesPerSecond, ExchangeConfig::kChatBurst};
  // Checked before any is taken, so a refused request costs no budget of another kind.
  RateBudget r = singer.requests, e = singer.events, c = singer.chats;
  if (!r.take(1, now, requests)) return ApiError::rate_limited("too many requests for this userid");
  const auto& controls = req.controls;
  if (!e.take(static_cast<double>(controls.event_data.size()), now, events)) {
    return ApiError::rate_limited("too many events from this userid");
  }
  if (!c.take(static_cast<double>(controls.chat.size()), now, chats)) {
    return ApiError::rate_limited("too many chat lines from this userid");
  }
  singer.requests = r;
  singer.events = e;
  singer.chats = c;
  return std::nullopt;
}

MaybeError ExchangeService::decode(SingerSession& singer, const wire::DecodedRequest& in,
                                   Scratch& s) {
  if (!in.has_audio()) {
    std::fill_n(s.upload.begin(), in.exchange.n_samples, 0.0f);
    return std::nullopt;
  }
  // The length was settled by the wire decode from the packets' headers; s.upload has room
  // for the largest exchange plus one packet.
  const auto start = std::chrono::steady_clock::now();
  std::size_t total = 0;
  MaybeError error;
  for (const auto packet : in.packets.view()) {
    const int n = singer.decoder.decode(packet, std::span(s.upload).subspan(total));
    if (n < 0) {
      error =
          ApiError::bad_request("bad Opus packet: " + codec::error_text(n), ErrorReason::kBadAudio);
      break;
    }
    total += static_cast<std::size_t>(n);
  }
  if (metrics_) metrics_->add_decode(std::chrono::steady_clock::now() - start);
  return error;
}

void ExchangeService::fetch_encoded_mix(const SingerSession& singer, ExchangeRequest& req,
                                        Clock now, Scratch& s) {
  s.encoded_mix.clear();
  req.mix_encoded_at_backing.reset();
  // The key this singer's last shareable reply used: the room confirms the backing level.
  if (!config_.share_encoders || req.loopback || !singer.share_delay_seconds ||
      !singer.share_backing || req.read_clock % kOpusFrameSamples != 0) {
    return;
  }
  const ShareKey key{*singer.share_delay_seconds, *singer.share_backing};
  const std::int64_t first_frame = (req.read_clock - req.n_samples) / kOpusFrameSamples;
  const auto frames = static_cast<std::size_t>(req.n_samples / kOpusFrameSamples);
  if (shared_.append_cached(key, first_frame, frames, s.encoded_mix, now / kSampleRate)) {
    req.mix_encoded_at_backing = key.user_backing;
  }
}

MaybeError ExchangeService::mix(const wire::DecodedRequest& in, Scratch& s) {
  const ExchangeRequest& req = in.exchange;
  ExchangeResult& result = s.result;
  const ExchangeOutcome outcome =
      room_.exchange(req, s.upload_block(req.n_samples), s.buffers(req.n_samples), result);
  if (!outcome.ok()) return refused(req, outcome);
  if (config_.stems && result.recorded_song != 0 && in.has_audio()) {
    queue_stem(*config_.stems, in, result);
  }
  if (result.room_events) log_room_events(room_);
  return std::nullopt;
}

MaybeError ExchangeService::encode(const wire::DecodedRequest& in, SingerSession& singer,
                                   Scratch& s, wire::ExchangeReply& reply) {
  const ExchangeRequest& req = in.exchange;
  const SummaryReply kind = summary_reply(req, s.result, singer.summary_pace);
  if (kind == SummaryReply::kDeferred) defer_summary(s.result, *req.known_summary_version);
  const ExchangeResult& result = s.result;
  std::string& out = reply.body;
  const std::shared_ptr<const std::string> summary =
      result.summary ? summaries_.bytes(result.summary) : nullptr;
  const std::size_t summary_bytes = summary ? summary->size() : 2;
  out.reserve(1024 + summary_bytes + Scratch::size(req.n_samples / kOpusFrameSamples) * 512);
  wire::append_metadata(out, result, in.adjusted, bind_session(singer, in));
  reply.metadata_len = out.size();
  wire::append_summary(out, summary.get());
  if (metrics_ && req.user_summary) metrics_->add_summary(kind, summary_bytes);
  const auto start = std::chrono::steady_clock::now();
  if (auto e =
          encode_audio(req, result, singer, s.buffers(req.n_samples).audio, s.encoded_mix, out)) {
    return e;
  }
  if (metrics_) metrics_->add_encode(std::chrono::steady_clock::now() - start);
  if (summary) singer.summary_pace.sent(summary_bytes, pace_time(result.server_clock));
  return std::nullopt;
}

wire::ExchangeReply ExchangeService::status() {
  wire::ExchangeReply reply;
  wire::append_status(reply.body, room_.status(), config_.instance_name);
  reply.metadata_len = reply.body.size();
  return reply;
}

std::string_view ExchangeService::bind_session(SingerSession& singer,
                                               const wire::DecodedRequest& in) const {
  const auto& token = in.session_token;
  if (in.exchange.reset_user_state) {
    // A new connection: a new token, unless a bound session keeps its own (it just showed it).
    if (singer.session_token.empty() || !singer.session_bound) {
      singer.session_token = new_session_token();
    }
    // A client that sends session_token (the first time: "new") echoes it: bind at once.
    singer.session_bound = singer.session_bound || token || config_.require_session_token;
    return singer.session_token;
  }
  if (token && session_token_equal(*token, singer.session_token)) {
    singer.session_bound = true;  // the client echoes its token: from now on it must
  }
  return {};
}

MaybeError ExchangeService::load_track(const std::string& name,
                                       std::shared_ptr<const std::vector<float>>& out) {
  if (!tracks_) return ApiError::of_status(404, "this server has no backing tracks");
  std::lock_guard lock(track_mutex_);
  // A replaced upload ("User Upload") keeps its name: the generation tells the copies apart.
  const std::uint64_t generation = tracks_->generation();
  if (!cached_track_ || cached_track_name_ != name || cached_generation_ != generation) {
    auto loaded = tracks_->load(name);
    if (!loaded) return ApiError::of_status(404, loaded.error());
    cached_track_name_ = name;
    cached_generation_ = generation;
    cached_track_ = loaded.value();
  }
  out = cached_track_;
  return std::nullopt;
}

void ExchangeService::select_track(ExchangeRequest& req, Adjustments& adjusted) {
  req.controls.track_samples.reset();
  if (!req.controls.track || !req.admin) return;  // a non-admin's choice is refused by the room
  // An unknown track is ignored, as the original did; the rest of the exchange goes on.
  if (auto e = load_track(*req.controls.track, req.controls.track_samples)) {
    adjusted.push_back({"track", "track ignored: " + e->message});
    req.controls.track.reset();
    req.controls.track_samples.reset();
  }
}

ApiError ExchangeService::refused(const ExchangeRequest& req, const ExchangeOutcome& outcome) {
  switch (outcome.status) {
    case ExchangeStatus::kForbidden:
      log_event(LogLevel::kInfo, "control_refused",
                {{"id", req.user_id},
                 {"name", req.name},
                 {"reason", wire::refusal_message(outcome.reason)}});
      break;
    case ExchangeStatus::kRoomFull:
      log_event(LogLevel::kWarn, "limit_hit",
                {{"limit", "max_users"}, {"value", room_.max_users()}, {"id", req.user_id}});
      break;
    case ExchangeStatus::kDraining:
      log_event(LogLevel::kInfo, "singer_refused",
                {{"id", req.user_id}, {"name", req.name}, {"reason", "draining"}});
      break;
    default:
      break;
  }
  return from_room(outcome);
}

MaybeError ExchangeService::encode_audio(const ExchangeRequest& req, const ExchangeResult& result,
                                         SingerSession& singer, std::span<const float> audio,
                                         std::string_view encoded_mix, std::string& out) {
  auto failed = [] { return ApiError::of_status(500, "Opus encoder failed"); };  // kEncoder
  const std::size_t packets = audio.size() / kOpusFrameSamples;
  if (result.source == ReplySource::kMixEncoded) {
    out.append(encoded_mix);
    shared_.count_whole_reply(packets);
    return std::nullopt;
  }
  const bool shareable =
      config_.share_encoders && req.read_clock % kOpusFrameSamples == 0 &&
      (result.source == ReplySource::kMix || result.source == ReplySource::kSilence);
  if (shareable) {
    if (!singer.share_delay_seconds) {
      singer.share_delay_seconds =
          (result.server_clock - req.read_clock + kSampleRate / 2) / kSampleRate;
    }
    singer.share_backing = result.levels.user_backing;
    const ShareKey key{*singer.share_delay_seconds, result.levels.user_backing};
    const std::int64_t first_frame = (req.read_clock - req.n_samples) / kOpusFrameSamples;
    if (!shared_.append_packets(key, first_frame, audio, singer.own_encoder, out,
                                result.server_clock / kSampleRate)) {
      return failed();
    }
    return std::nullopt;
  }
  shared_.count_unshared(packets);
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet;
  codec::Encoder& encoder = singer.encoder();
  begin_container(out, packets);
  for (std::size_t i = 0; i < packets; ++i) {
    const int bytes =
        encoder.encode(audio.subspan(i * kOpusFrameSamples, kOpusFrameSamples), packet);
    if (bytes < 0) return failed();
    append_packet(out, std::span(packet).first(static_cast<std::size_t>(bytes)));
  }
  return std::nullopt;
}

}  // namespace brigade::server
