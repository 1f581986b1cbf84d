// brigade: the exchange pipeline.
#include "exchange_service.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "api_request.hpp"
#include "brigade/codec/packet_container.hpp"
#include "brigade/engine/user_summary.hpp"
#include "log.hpp"
#include "reply_metadata.hpp"
#include "room_log.hpp"
#include "session_token.hpp"
#include "wire/refusal.hpp"
#include "wire/song_clocks.hpp"

namespace brigade::server {
namespace {

/// Retry-After of a 503 "room is full", seconds.
constexpr const char* kRoomFullRetryAfterSeconds = "10";

/// Per-thread buffers, sized once for the largest exchange: a request is handled start to end
/// on one thread, so nothing here is shared and nothing is allocated per request.
struct Scratch {
  ExchangeRequest request;
  Adjustments adjusted;
  ExchangeResult result;
  PacketList packets;
  std::vector<float> upload =
      std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples) + codec::kMaxPacketSamples);
  std::vector<float> audio = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<float> backing = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<WriterCount> writers =
      std::vector<WriterCount>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

unsigned http_status(ExchangeStatus s) {
  switch (s) {
    case ExchangeStatus::kOk:
      return 200;
    case ExchangeStatus::kBadRequest:
      return 400;
    case ExchangeStatus::kForbidden:
      return 403;
    case ExchangeStatus::kConflict:
      return 409;
    case ExchangeStatus::kRoomFull:
    case ExchangeStatus::kDraining:
      return 503;
  }
  return 500;
}

ErrorReason error_reason(ExchangeStatus s) {
  switch (s) {
    case ExchangeStatus::kOk:
      return ErrorReason::kNone;
    case ExchangeStatus::kBadRequest:
      return ErrorReason::kClock;
    case ExchangeStatus::kForbidden:
      return ErrorReason::kForbidden;
    case ExchangeStatus::kConflict:
      return ErrorReason::kConflict;
    case ExchangeStatus::kRoomFull:
      return ErrorReason::kRoomFull;
    case ExchangeStatus::kDraining:
      return ErrorReason::kDraining;
  }
  return ErrorReason::kBadRequest;
}

// Decodes the container into s.upload; returns the sample count or sets `error`.
Clock decode_upload(SingerSession& singer, std::span<const std::uint8_t> audio, Scratch& s,
                    std::string& error) {
  if (auto e = parse_container(audio, s.packets); e != ContainerError::kNone) {
    error = to_string(e);
    return -1;
  }
  std::size_t total = 0;
  for (const auto packet : s.packets.view()) {
    if (total + codec::kMaxPacketSamples > s.upload.size()) {
      error = "upload longer than 3 s";
      return -1;
    }
    const int n = singer.decoder.decode(packet, std::span(s.upload).subspan(total));
    if (n < 0) {
      error = "bad Opus packet: " + codec::error_text(n);
      return -1;
    }
    total += static_cast<std::size_t>(n);
  }
  if (total > static_cast<std::size_t>(kMaxExchangeSamples)) {
    error = "upload longer than 3 s";
    return -1;
  }
  return static_cast<Clock>(total);
}

/// Hands an upload's packets (views into the request body) to the stem recorder: one copy into
/// its bounded queue, dropped there when full.
void queue_stem(StemQueue& stems, const ExchangeRequest& req, const ExchangeResult& result,
                const PacketList& packets) {
  const std::string_view name = req.name.empty() ? std::string_view("<anonymous>") : req.name;
  stems.push(StemUpload{.song = result.recorded_song,
                        .song_start = result.song.start(),
                        .user = req.user_id,
                        .begin = *req.write_clock - req.n_samples,
                        .name = truncate_utf8(name, kMaxNameBytes)},
             packets.view());
}

/// What the chart's problem detectors learn from one successful exchange.
UploadObservation observation(const ExchangeRequest& req, const ExchangeResult& result,
                              std::span<const float> upload, bool audio_sent,
                              const SingerSession& singer) {
  return {.user = req.user_id,
          .arrival = result.server_clock,
          .read_clock = req.read_clock,
          .write_clock = req.write_clock,
          .n_samples = req.n_samples,
          .upload = audio_sent ? upload : std::span<const float>{},
          .reset_user_state = req.reset_user_state,
          .codec_resets = singer.codec_resets};
}

}  // namespace

std::string_view ExchangeService::bind_session(SingerSession& singer, const ExchangeRequest& req,
                                               std::optional<std::string_view> token) const {
  if (req.reset_user_state) {
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

std::optional<ApiResponse> ExchangeService::admit(SingerSession& singer, const ExchangeRequest& req,
                                                  std::optional<std::string_view> token,
                                                  Clock now) const {
  if (!singer.session_token.empty() && (singer.session_bound || config_.require_session_token)) {
    if (!token || !session_token_equal(*token, singer.session_token)) {
      return error_response(403, "this singer's session needs its session_token");
    }
  } else if (singer.session_token.empty() && config_.require_session_token &&
             !req.reset_user_state) {
    return error_response(403, "start with reset_user_state to get a session_token");
  }
  const double rate = config_.singer_requests_per_second;
  const RateLimit requests{rate, rate * ExchangeConfig::kBurstSeconds};
  const RateLimit events{ExchangeConfig::kEventsPerSecond, ExchangeConfig::kEventBurst};
  const RateLimit chats{ExchangeConfig::kChatLinesPerSecond, ExchangeConfig::kChatBurst};
  auto slow_down = [](std::string_view what) {
    ApiResponse r = error_response(429, what);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  };
  // Checked before any is taken, so a refused request costs no budget of another kind.
  RateBudget r = singer.requests, e = singer.events, c = singer.chats;
  if (!r.take(1, now, requests)) return slow_down("too many requests for this userid");
  const auto& controls = req.controls;
  if (!e.take(static_cast<double>(controls.event_data.size()), now, events)) {
    return slow_down("too many events from this userid");
  }
  if (!c.take(static_cast<double>(controls.chat.size()), now, chats)) {
    return slow_down("too many chat lines from this userid");
  }
  singer.requests = r;
  singer.events = e;
  singer.chats = c;
  return std::nullopt;
}

std::shared_ptr<const std::vector<float>> ExchangeService::load_track(const std::string& name,
                                                                      std::string& error) {
  if (!tracks_) {
    error = "this server has no backing tracks";
    return nullptr;
  }
  std::lock_guard lock(track_mutex_);
  // A replaced upload ("User Upload") keeps its name: the generation tells the copies apart.
  const std::uint64_t generation = tracks_->generation();
  if (cached_track_ && cached_track_name_ == name && cached_generation_ == generation) {
    return cached_track_;
  }
  auto loaded = tracks_->load(name);
  if (!loaded) {
    error = loaded.error();
    return nullptr;
  }
  cached_track_name_ = name;
  cached_generation_ = generation;
  cached_track_ = loaded.value();
  return cached_track_;
}

void ExchangeService::select_track(ExchangeRequest& req, Adjustments& adjusted) {
  req.controls.track_samples.reset();
  if (!req.controls.track || !req.admin) return;  // a non-admin's choice is refused by the room
  // An unknown track is ignored, as the original did; the rest of the exchange goes on.
  std::string error;
  req.controls.track_samples = load_track(*req.controls.track, error);
  if (!req.controls.track_samples) {
    adjusted.push_back({"track", "track ignored: " + error});
    req.controls.track.reset();
  }
}

ApiResponse ExchangeService::exchange(const Query& query, std::string_view body,
                                      ExchangeExtras extras) {
  Scratch& s = scratch();
  ExchangeRequest& req = s.request;
  std::string_view audio;
  if (const char* e = decode_exchange(query, body, req, audio, &s.adjusted)) {
    return error_response(400, e);
  }
  req.admin = is_admin(query.get("admin_token"), extras.admin_token);
  req.holds_admin_token = req.admin && !admin_token_.open();
  req.admit_new_singers = !readiness_ || !readiness_->draining();
  select_track(req, s.adjusted);
  const auto audio_bytes =
      std::span(reinterpret_cast<const std::uint8_t*>(audio.data()), audio.size());

  const std::shared_ptr<SingerSession> singer = room_.attachment<SingerSession>(req.user_id);
  std::lock_guard singer_lock(singer->mutex);
  auto token = query.get("session_token");
  if (!extras.session_token.empty()) token = extras.session_token;
  if (auto refused = admit(*singer, req, token, room_.now())) return std::move(*refused);
  if (req.reset_user_state) singer->reset();
  auto fail = [&](unsigned status, std::string_view message,
                  ErrorReason reason = ErrorReason::kBadAudio) {
    singer->reset();
    return error_response(status, message, status >= 500 ? ErrorReason::kEncoder : reason);
  };

  // Decode (outside the room lock).
  Clock n = req.n_samples;
  if (audio_bytes.empty()) {
    if (n == 0) {
      return fail(400, "n_samples is required when no audio is sent", ErrorReason::kBadRequest);
    }
    std::fill_n(s.upload.begin(), n, 0.0f);
  } else {
    std::string error;
    const auto decode_start = std::chrono::steady_clock::now();
    const Clock decoded = decode_upload(*singer, audio_bytes, s, error);
    if (metrics_) metrics_->add_decode(std::chrono::steady_clock::now() - decode_start);
    if (decoded < 0) return fail(400, error);
    if (n != 0 && n != decoded) return fail(400, "n_samples differs from the decoded audio length");
    if (decoded == 0 || decoded % kOpusFrameSamples != 0) {
      return fail(400, "uploaded audio is not a whole number of 60 ms frames");
    }
    n = decoded;
    req.n_samples = n;
  }
  const auto size = static_cast<std::size_t>(n);
  const std::span<const float> upload(s.upload.data(), size);

  // The room: clear, apply, mix, read (under its lock, microseconds).
  ExchangeResult& result = s.result;
  const ExchangeBuffers buffers{std::span(s.audio).first(size), std::span(s.backing).first(size),
                                std::span(s.writers).first(size)};
  if (auto outcome = room_.exchange(req, upload, buffers, result); !outcome.ok()) {
    singer->reset();
    return refused(req, outcome);
  }
  if (config_.stems && result.recorded_song != 0 && !audio_bytes.empty()) {
    queue_stem(*config_.stems, req, result, s.packets);
  }
  if (result.room_events) log_room_events(room_);
  if (config_.health)
    config_.health->record(observation(req, result, upload, !audio_bytes.empty(), *singer));

  // Produce the reply PCM from the copies, then encode it (outside the lock).
  switch (result.source) {
    case ReplySource::kMix:
      render_reply(buffers.audio, buffers.backing, buffers.writers, result.levels);
      break;
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

  ApiResponse response;
  std::string& out = response.body;
  const std::shared_ptr<const std::string> summary =
      result.summary ? summaries_.bytes(result.summary) : nullptr;
  const std::size_t summary_bytes = summary ? summary->size() : 2;
  out.reserve(1024 + summary_bytes + size / kOpusFrameSamples * 512);
  append_reply_metadata(out, result, s.adjusted, bind_session(*singer, req, token));
  const std::size_t metadata_len = out.size();
  if (summary) {
    out += *summary;
  } else {
    out.append(2, '\0');  // always present: the client parses it unconditionally
  }
  if (metrics_ && req.user_summary) metrics_->add_summary(result.summary != nullptr, summary_bytes);
  const auto encode_start = std::chrono::steady_clock::now();
  if (const char* e = encode_reply(req, result, *singer, buffers.audio, out)) return fail(500, e);
  if (metrics_) metrics_->add_encode(std::chrono::steady_clock::now() - encode_start);
  response.audio_metadata = "{\"metadata_len\": ";
  append_json_int(response.audio_metadata, static_cast<long long>(metadata_len));
  response.audio_metadata += "}";
  return response;
}

ApiResponse ExchangeService::refused(const ExchangeRequest& req, const ExchangeOutcome& outcome) {
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
  ApiResponse r = error_response(http_status(outcome.status), wire::refusal_message(outcome.reason),
                                 error_reason(outcome.status));
  // A full room: clients that ignore action=status should at least wait before retrying.
  if (outcome.status == ExchangeStatus::kRoomFull) {
    r.headers.emplace_back("Retry-After", kRoomFullRetryAfterSeconds);
  }
  return r;
}

const char* ExchangeService::encode_reply(const ExchangeRequest& req, const ExchangeResult& result,
                                          SingerSession& singer, std::span<const float> audio,
                                          std::string& out) {
  const Clock n = req.n_samples;
  const std::size_t packets = audio.size() / kOpusFrameSamples;
  const bool shareable =
      config_.share_encoders && req.read_clock % kOpusFrameSamples == 0 &&
      (result.source == ReplySource::kMix || result.source == ReplySource::kSilence);
  if (shareable) {
    if (!singer.share_delay_seconds) {
      singer.share_delay_seconds =
          (result.server_clock - req.read_clock + kSampleRate / 2) / kSampleRate;
    }
    const ShareKey key{*singer.share_delay_seconds, result.levels.user_backing};
    const std::int64_t first_frame = (req.read_clock - n) / kOpusFrameSamples;
    if (!shared_.append_packets(key, first_frame, audio, singer.own_encoder, out,
                                result.server_clock / kSampleRate)) {
      return "Opus encoder failed";
    }
    return nullptr;
  }
  shared_.count_unshared(packets);
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes>& packet = scratch().packet;
  codec::Encoder& encoder = singer.encoder();
  begin_container(out, packets);
  for (std::size_t i = 0; i < packets; ++i) {
    const int bytes =
        encoder.encode(audio.subspan(i * kOpusFrameSamples, kOpusFrameSamples), packet);
    if (bytes < 0) return "Opus encoder failed";
    append_packet(out, std::span(packet).first(static_cast<std::size_t>(bytes)));
  }
  return nullptr;
}

ApiResponse ExchangeService::status() {
  const RoomStatus st = room_.status();
  ApiResponse r;
  r.body = "{\"n_connected_users\": ";
  append_json_int(r.body, st.n_connected_users);
  r.body += ", \"max_users\": ";
  append_json_int(r.body, st.max_users);
  if (!config_.instance_name.empty()) {
    r.body += ", \"instance_name\": ";
    append_json_string(r.body, config_.instance_name);
  }
  r.body += "}";
  r.audio_metadata = "{\"metadata_len\": ";
  append_json_int(r.audio_metadata, static_cast<long long>(r.body.size()));
  r.audio_metadata += "}";
  return r;
}

}  // namespace brigade::server
