// brigade: routing.
#include "router.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <optional>

#include "brigade/storage/audio_file.hpp"
#include "debug_state.hpp"
#include "error_page.hpp"
#include "log.hpp"
#include "process_stats.hpp"
#include "query.hpp"
#include "static_files.hpp"
#include "stems_http.hpp"
#include "wire/json_writer.hpp"
#include "wire/song_clocks.hpp"

namespace brigade::server {
namespace {

constexpr std::string_view kApiPrefix = "/api";
constexpr std::string_view kRecordingsPrefix = "/recordings";
/// The original's upload route, and where its page fetches the uploaded image.
constexpr std::string_view kOriginalUploadPath = "/upload";
constexpr std::string_view kUserUploadImagePath = "/user-upload-image";
/// The recordings page (static, in the web root) and its JSON listing.
constexpr std::string_view kRecordingsPage = "/recordings.html";
constexpr std::string_view kRecordingsApi = "/api/recordings";
/// WebSockets (ws_session.hpp): the exchange and the operators' debug stream.
constexpr std::string_view kWsPath = "/api/ws";
constexpr std::string_view kDebugStreamPath = "/api/debug/stream";
/// The debug rate estimate is refreshed when polls are at least this far apart.
constexpr std::chrono::milliseconds kRateWindow{500};

bool is_api_path(std::string_view path) {
  return path == kApiPrefix || path.starts_with("/api/");
}

ApiResponse method_not_allowed(std::string_view allowed) {
  ApiResponse r = error_response(405, "method not allowed");
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

ApiResponse json_response(std::string body) {
  ApiResponse r;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

/// True when the raw query has a parameter called `name` (any value).
bool has_param(std::string_view query, std::string_view name) {
  for (std::size_t at = 0; at <= query.size();) {
    const std::size_t end = std::min(query.find('&', at), query.size());
    const std::string_view pair = query.substr(at, end - at);
    if (pair.substr(0, pair.find('=')) == name) return true;
    at = end + 1;
  }
  return false;
}

/// A root-API port's upload: "/?type=…" (the original page's http://localhost:8082/).
bool is_root_upload(std::string_view path, std::string_view query) {
  return path == "/" && has_param(query, "type");
}

bool is_read(std::string_view method) {
  return method == "GET" || method == "HEAD";
}

/// "2024-05-01-193000.wav" → "2024-05-01T19:30:00Z"; empty for other names.
std::string started_utc(std::string_view name) {
  constexpr std::size_t kStamp = 17;  // YYYY-MM-DD-HHMMSS
  if (name.size() < kStamp || name[4] != '-' || name[7] != '-' || name[10] != '-') return {};
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 13, 14, 15, 16}) {
    if (name[i] < '0' || name[i] > '9') return {};
  }
  std::string out(name.substr(0, 10));
  out.append("T").append(name.substr(11, 2)).append(":").append(name.substr(13, 2));
  out.append(":").append(name.substr(15, 2)).append("Z");
  return out;
}

}  // namespace

namespace {
ExchangeConfig with_health(ExchangeConfig config, SingerHealth& health) {
  config.health = &health;
  return config;
}
}  // namespace

Router::Router(Room& room, TrackLibrary* tracks, RecordingStore* recordings, RouterConfig config)
    : room_(room),
      tracks_(tracks),
      recordings_(recordings),
      config_(std::move(config)),
      readiness_(recordings ? recordings->dir() : std::filesystem::path{}),
      exchanges_(room, with_health(config_.exchange, health_), tracks, &metrics_, &readiness_) {
  if (tracks_) room_.set_tracks(tracks_->list());
}

ApiResponse Router::handle(std::string_view method, std::string_view target, std::string_view body,
                           RequestExtras extras) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  ApiResponse r = route(method, path, query, body, extras);
  if (r.status >= 400 && !is_api_path(path) && wants_html(extras.accept)) r = html_error(r);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  metrics_.record_request(r.status, elapsed, target.size() + body.size(), r.body.size());
  if (r.reason != ErrorReason::kNone) metrics_.record_error(r.reason);
  if (log_enabled(LogLevel::kDebug)) {
    // The access log: path only (a query may carry the admin token).
    log_event(LogLevel::kDebug, "request",
              {{"method", method},
               {"path", path},
               {"status", r.status},
               {"ms", std::chrono::duration<double, std::milli>(elapsed).count()},
               {"bytes_in", body.size()},
               {"bytes_out", r.body.size()}});
  }
  return r;
}

bool Router::is_upload_target(std::string_view target, bool api_at_root) {
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (path == "/api/upload" || path == kOriginalUploadPath) return true;
  return api_at_root && q != std::string_view::npos && is_root_upload(path, target.substr(q + 1));
}

ApiResponse Router::route(std::string_view method, std::string_view path, std::string_view query,
                          std::string_view body, RequestExtras extras) {
  std::string mapped;  // a root-API port's path, below /api
  if (extras.api_at_root) {
    // The original page in localhost mode: API at http://localhost:8081/ and uploads at
    // http://localhost:8082/?type=… — any other path P here is the API's /api + P, routed (and
    // gated) as usual.
    if (is_root_upload(path, query)) return original_upload(method, query, body, extras);
    mapped = std::string(kApiPrefix) + std::string(path == "/" ? "" : path);
    path = mapped;
  } else {
    if (path == kOriginalUploadPath) return original_upload(method, query, body, extras);
    if (path == kUserUploadImagePath) return user_upload_image(method);
  }
  const bool hidden = path == "/metrics" || path == "/api/debug/state" ||
                      path == kDebugStreamPath || path == "/api/telemetry" ||
                      path == kRecordingsApi ||
                      (path.starts_with("/recordings/") && path != "/recordings/");
  if (hidden) {
    if (auto refused = private_gate(query, extras)) return std::move(*refused);
  }
  if (path == "/metrics") return is_read(method) ? metrics_text() : method_not_allowed("GET, HEAD");
  if (path == "/healthz") return is_read(method) ? healthz() : method_not_allowed("GET, HEAD");
  if (path == "/readyz") return is_read(method) ? readyz() : method_not_allowed("GET, HEAD");
  if (path == kRecordingsPrefix || path.starts_with("/recordings/")) {
    return recordings(method, path);
  }
  if (is_api_path(path)) return api(method, path, query, body, extras);
  return static_file(method, path);
}

ApiResponse Router::api(std::string_view method, std::string_view path, std::string_view raw_query,
                        std::string_view body, RequestExtras extras) {
  if (method == "OPTIONS") {
    ApiResponse r;
    r.content_type = "text/plain";
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers",
                           "Content-Type, X-Admin-Token, X-Session-Token");
    return r;
  }
  if (path == kWsPath || path == kDebugStreamPath) {
    // The HTTP session upgrades a WebSocket request that gets this answer (past the gate).
    ApiResponse r =
        error_response(426, "this endpoint is a WebSocket (GET with Upgrade)", ErrorReason::kNone);
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  }
  const bool upload_path = path == "/api/upload";
  if (path == "/api/debug/state" || path == "/api/telemetry" || path == "/api/tracks" ||
      path == kRecordingsApi) {
    if (!is_read(method)) return method_not_allowed("GET, HEAD");
    if (path == "/api/debug/state") return debug_state(raw_query, extras.debug_stream);
    if (path == kRecordingsApi) return recordings_list();
    return path == "/api/telemetry" ? telemetry() : tracks_list();
  }
  if (upload_path && method != "POST") return method_not_allowed("POST");
  if (is_read(method)) return clock();
  if (method != "POST") return method_not_allowed("GET, HEAD, POST, OPTIONS");

  if (upload_path) {
    thread_local Query query;
    if (auto e = query.parse(raw_query)) return error_response(*e);
    // With --admin-token, adding tracks is an operator's action like choosing them.
    if (!exchanges_.is_admin(query.get("admin_token"), extras.admin_token)) {
      return error_response(403, "uploading tracks needs the admin token");
    }
    return upload(body);
  }
  // Everything else POSTed here is the exchange (or action=status): the transport-free core.
  return http_response(exchanges_.handle(raw_query, body,
                                         {.admin_token = extras.admin_token,
                                          .session_token = extras.session_token,
                                          .chats_pushed = extras.chats_pushed}));
}

ApiResponse Router::clock() {
  ApiResponse r;
  wire::JsonWriter(r.audio_metadata)
      .begin_object()
      .key("server_clock")
      .integer(room_.now())
      .key("server_sample_rate")
      .integer(kSampleRate)
      .key("server_version")
      .string(config_.version)
      .key("server_branch")
      .string("main")
      .end_object();
  r.body = "ok";
  return r;
}

ApiResponse Router::healthz() {
  std::string body;
  wire::JsonWriter(body)
      .begin_object()
      .key("status")
      .string("ok")
      .key("version")
      .string(config_.version)
      .key("uptime_seconds")
      .number(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count())
      .end_object();
  ApiResponse r = json_response(std::move(body) + "\n");
  r.cors = false;
  return r;
}

ApiResponse Router::readyz() {
  const std::string_view reason = readiness_.not_ready_reason(room_.rings_allocated());
  std::string body;
  wire::JsonWriter w(body);
  w.begin_object().key("ready").boolean(reason.empty());
  if (!reason.empty()) w.key("reason").string(reason);
  if (readiness_.draining()) {
    // The rooms whose songs keep the server up (every room's song counts; see Drain).
    w.key("waiting_for").begin_array();
    for (const auto& room : readiness_.drain_waiting()) w.string(room);
    w.end_array();
  }
  w.end_object();
  ApiResponse r = json_response(std::move(body) + "\n");
  r.status = reason.empty() ? 200 : 503;  // not an error of the request: no reason counted
  r.cors = false;
  return r;
}

double Router::requests_per_second(std::chrono::steady_clock::time_point now,
                                   std::uint64_t requests) {
  std::lock_guard lock(rate_mutex_);
  const auto elapsed = now - rate_time_;
  if (elapsed >= kRateWindow) {
    if (rate_time_ != std::chrono::steady_clock::time_point{}) {
      rate_ = static_cast<double>(requests - rate_requests_) /
              std::chrono::duration<double>(elapsed).count();
    }
    rate_time_ = now;
    rate_requests_ = requests;
  }
  return rate_;
}

ApiResponse Router::debug_state(std::string_view raw_query, DebugStreamCursor* cursor) {
  thread_local Query query;
  const bool parsed = !query.parse(raw_query);
  const bool compact = parsed && query.get("compact").value_or("0") == "1";
  const auto format = compact ? DebugFormat::kCompact : DebugFormat::kFull;
  const auto now = std::chrono::steady_clock::now();
  if (cursor && parsed && query.get("delta").value_or("0") == "1") {
    return debug_stream_link(*cursor, now);
  }
  {
    // Operators polling together share one build per kDebugStateReuse (see README: the cost).
    std::lock_guard lock(debug_cache_mutex_);
    auto& cached = debug_cache_[compact ? 1 : 0];
    if (!cached.body.empty() && now - cached.built < kDebugStateReuse) {
      return json_response(std::string(cached.body));
    }
  }
  thread_local RoomSnapshot snapshot;
  room_.snapshot(snapshot);
  const double rate = requests_per_second(now, snapshot.requests);
  thread_local std::vector<SingerAssessment> health;
  const ProblemCounts counts = health_.assess(snapshot, health);
  std::string body = debug_state_json(snapshot, rate, health, counts, format);
  {
    std::lock_guard lock(debug_cache_mutex_);
    auto& cached = debug_cache_[compact ? 1 : 0];
    cached.body = body;
    cached.built = now;
  }
  return json_response(std::move(body));
}

ApiResponse Router::debug_stream_link(DebugStreamCursor& cursor,
                                      std::chrono::steady_clock::time_point now) {
  // One build per link whatever the number of viewers: the whole state and the delta.
  std::lock_guard lock(debug_chain_mutex_);
  DebugChain& c = debug_chain_;
  if (c.link == 0 || now - c.built >= kDebugStateReuse) {
    thread_local RoomSnapshot snapshot;
    room_.snapshot(snapshot);
    const double rate = requests_per_second(now, snapshot.requests);
    thread_local std::vector<SingerAssessment> health;
    const ProblemCounts counts = health_.assess(snapshot, health);
    c.whole = debug_state_json(snapshot, rate, health, counts, DebugFormat::kCompact);
    c.delta = c.encoder.delta(snapshot, rate, health, counts);
    c.built = now;
    ++c.link;
  }
  switch (cursor.next(c.link)) {
    case DebugStreamSend::kDelta:
      return json_response(std::string(c.delta));
    case DebugStreamSend::kWhole:
      return json_response(std::string(c.whole));
    case DebugStreamSend::kNothing:
      break;
  }
  ApiResponse none;
  none.status = 204;
  return none;
}

ApiResponse Router::telemetry() {
  namespace json = boost::json;
  RoomSnapshot snap;
  room_.snapshot(snap);
  const auto shared = exchanges_.shared_encoder_stats();
  json::object server{
      {"server_startup_time", started_unix_},
      {"server_version", config_.version},
      {"server_branch", "main"},
      {"server_uptime",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
      {"server_clock", snap.server_clock},
      {"server_sample_rate", kSampleRate},
      {"threads", config_.threads},
      {"n_connected_users", snap.singers.size()},
      {"user_records", room_.user_records()},
      {"exchanges", snap.requests},
      {"http_requests", metrics_.requests()},
      {"song_start_clock", wire::song_start_clock(snap.song)},
      {"song_end_clock", wire::song_end_clock(snap.song)},
      {"first_bucket", snap.first_bucket},
      {"queue_size", static_cast<double>(kRingFrames)},
      {"shared_encoding",
       {{"enabled", config_.exchange.share_encoders},
        {"frames_encoded", shared.encoded},
        {"frames_reused", shared.reused},
        {"frames_missed", shared.missed},
        {"whole_replies", shared.whole_replies},
        {"groups", exchanges_.shared_encoder_groups()},
        {"groups_refused", shared.refused}}},
      {"admin_token_required", !config_.exchange.admin_token.empty()},
  };
  if (recordings_) {
    const auto current = recordings_->current();
    server["recording"] = current ? json::value(*current) : json::value(nullptr);
  }
  json::object clients;
  for (const auto& s : snap.singers) {
    json::object c{
        {"name", s.name},
        {"delay_seconds", static_cast<double>(s.delay_samples) / kSampleRate},
        {"read_window", json::array{s.read_window.begin, s.read_window.end}},
        {"rms", s.rms},
        {"mic_volume", s.mic_volume},
        {"muted", s.muted},
        {"spectator", s.spectator},
        {"leader", s.leader},
        {"soloed", s.soloed},
        {"headphones", s.headphones},
    };
    c["write_window"] = s.write_window
                            ? json::value(json::array{s.write_window->begin, s.write_window->end})
                            : json::value(nullptr);
    clients[std::to_string(s.id)] = std::move(c);
  }
  const double request_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return json_response(wire::to_json(json::object{{"request_time", request_time},
                                                  {"server", std::move(server)},
                                                  {"clients", std::move(clients)}}));
}

ApiResponse Router::metrics_text() {
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.cors = false;
  r.body = exposition();
  return r;
}

std::string Router::exposition(bool process_families) {
  RoomSnapshot snap;
  room_.snapshot(snap);
  const auto shared = exchanges_.shared_encoder_stats();
  std::string out = metrics_.prometheus(Metrics::Gauges{
      .version = config_.version,
      .active_singers = static_cast<int>(snap.singers.size()),
      .ring_clears = snap.clears,
      .cleared_samples = snap.cleared_samples,
      .shared_frames_encoded = shared.encoded,
      .shared_frames_reused = shared.reused,
      .shared_frames_missed = shared.missed,
      .ring_occupied_frames = snap.occupancy.count(),
      .song_phase = snap.song_phase,
      .ready = readiness_.not_ready_reason(room_.rings_allocated()).empty(),
      .draining = readiness_.draining(),
      .process = process_families ? read_process_stats() : ProcessStats{},
      .unshared_frames = shared.unshared,
      .shared_whole_replies = shared.whole_replies,
  });
  if (config_.exchange.stems) append_stem_metrics(out, *config_.exchange.stems);
  std::vector<SingerAssessment> health;
  append_problem_metrics(out, health_.assess(snap, health));
  return out;
}

ApiResponse Router::tracks_list() {
  boost::json::array names;
  if (tracks_) {
    for (auto& t : tracks_->list()) names.emplace_back(t);
  }
  return json_response(wire::to_json(boost::json::object{{"tracks", std::move(names)}}));
}

ApiResponse Router::upload(std::string_view body, const std::string& name) {
  if (!tracks_) return error_response(404, "this server has no tracks directory");
  if (body.size() > kMaxTrackUploadBytes) return error_response(413, "upload larger than 32 MiB");
  if (body.empty()) return error_response(400, "empty upload", ErrorReason::kBadUpload);
  // Full already: refused before the decoding work (a replaced named track may still fit).
  if (name.empty() && tracks_->storage_full()) return error_response(507, kTrackStorageFull);
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  // The expensive part (decoding, resampling) is this one pure call, on the upload worker.
  auto samples = decode_audio_file(bytes, kMaxTrackSeconds);
  if (!samples) {
    log_event(LogLevel::kInfo, "upload_refused",
              {{"bytes", body.size()}, {"reason", samples.error()}});
    return error_response(is_decodable(sniff_audio_container(bytes)) ? 400 : 415, samples.error(),
                          ErrorReason::kBadUpload);
  }
  auto added = tracks_->add_samples(samples.value(), name);
  if (!added) {
    log_event(LogLevel::kInfo, "upload_refused",
              {{"bytes", body.size()}, {"reason", added.error()}});
    if (added.error().starts_with(kTrackStorageFull)) return error_response(507, added.error());
    return error_response(500, added.error(), ErrorReason::kBadUpload);
  }
  log_event(LogLevel::kInfo, "upload_stored", {{"track", added.value()}, {"bytes", body.size()}});
  return track_added(added.value());
}

ApiResponse Router::track_added(const std::string& name) {
  auto list = tracks_->list();
  room_.set_tracks(list);
  boost::json::array names(list.begin(), list.end());
  return json_response(
      wire::to_json(boost::json::object{{"track", name}, {"tracks", std::move(names)}}));
}

ApiResponse Router::original_upload(std::string_view method, std::string_view raw_query,
                                    std::string_view body, RequestExtras extras) {
  if (method == "OPTIONS") return api(method, kApiPrefix, raw_query, body, extras);
  if (method != "POST") return method_not_allowed("POST, OPTIONS");
  thread_local Query query;
  if (auto e = query.parse(raw_query)) return error_response(*e);
  const auto type = query.get("type");
  if (type != "backingTrack" && type != "image") {
    return error_response(400, "type must be backingTrack or image");
  }
  if (!exchanges_.is_admin(query.get("admin_token"), extras.admin_token)) {
    return error_response(403, "uploading needs the admin token");
  }
  if (type == "image") {
    if (body.empty()) return error_response(400, "empty upload", ErrorReason::kBadUpload);
    if (body.size() > kMaxImageUploadBytes) {
      return error_response(413, "image larger than 16 MiB", ErrorReason::kBodyTooLarge);
    }
    if (auto e = image_.put(body)) return error_response(*e);
    return json_response(wire::to_json(boost::json::object{
        {"image", kUserUploadImagePath.substr(1)}, {"content_type", sniff_image_type(body)}}));
  }
  return upload(body, std::string(kUserUploadTrackName));
}

ApiResponse Router::user_upload_image(std::string_view method) {
  if (!is_read(method)) return method_not_allowed("GET, HEAD");
  const auto image = image_.get();
  if (!image) return error_response(404, "no image has been uploaded");
  ApiResponse r;
  r.content_type = image->content_type;
  r.body = *image->bytes;
  r.cors = false;
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

std::optional<ApiResponse> Router::private_gate(std::string_view raw_query,
                                                RequestExtras extras) const {
  if (!config_.private_data) return std::nullopt;
  std::string_view token = extras.operator_token;
  if (token.empty()) token = extras.admin_token;
  if (token.empty() && extras.authorization.starts_with("Bearer ")) {
    token = extras.authorization.substr(7);
  }
  Query query;
  if (token.empty() && !raw_query.empty() && !query.parse(raw_query)) {
    token = query.get("token").value_or(std::string_view());
  }
  if (token.empty()) {
    ApiResponse r = error_response(401,
                                   "this server is private: operators only (token=…, "
                                   "X-Operator-Token or Authorization: Bearer)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"brigade\"");
    return r;
  }
  // Both digests are always compared (constant time, fixed size: no length leaks either).
  const bool by_operator = operator_token_.matches(token) && !operator_token_.open();
  const bool by_admin = admin_token_.matches(token) && !admin_token_.open();
  if (by_operator || by_admin) {
    return std::nullopt;
  }
  return error_response(403, "this token does not open the operators' data");
}

ApiResponse Router::recordings_list() {
  namespace json = boost::json;
  json::array list;
  if (recordings_) {
    for (const auto& e : recordings_->list()) {
      const std::string started = started_utc(e.name);
      json::object entry{
          {"name", e.name},
          {"url", std::string(kRecordingsPrefix) + "/" + e.name},
          {"started_utc", started.empty() ? json::value(nullptr) : json::value(started)},
          {"duration_seconds", std::round(e.duration_seconds * 1000.0) / 1000.0},
          {"bytes", e.bytes},
          {"finished", e.finished},
          {"leader", e.info.leader},
          {"song_start_clock", e.info.song_start_clock},
      };
      add_stems_json(entry, e);
      list.push_back(std::move(entry));
    }
  }
  return json_response(wire::to_json(json::object{{"enabled", recordings_ != nullptr},
                                                  {"private", config_.private_data},
                                                  {"recordings", std::move(list)}}));
}

ApiResponse Router::recordings(std::string_view method, std::string_view path) {
  if (!is_read(method)) return method_not_allowed("GET, HEAD");
  if (path == kRecordingsPrefix || path == "/recordings/")
    return static_file(method, kRecordingsPage);
  if (!recordings_) return error_response(404, "recording is off");
  const auto entries = recordings_->list();
  const std::string_view name = path.substr(kRecordingsPrefix.size() + 1);
  if (auto r = stems_response(entries, recordings_->dir(), name)) return std::move(*r);
  for (const auto& e : entries) {
    if (e.name == name) {
      ApiResponse r;
      r.content_type = "audio/wav";
      r.file = recordings_->dir() / e.name;
      r.no_symlink = true;  // list() skips symlinks; O_NOFOLLOW closes the race
      r.cors = false;
      r.headers.emplace_back("Cache-Control", "no-cache");
      return r;
    }
  }
  return error_response(404, "no such recording");
}

ApiResponse Router::static_file(std::string_view method, std::string_view path) {
  if (!is_read(method)) return method_not_allowed("GET, HEAD");
  auto file = resolve_static(config_.web_root, path);
  if (!file) return error_response(404, "not found");
  ApiResponse r;
  r.content_type = mime_type(*file);
  r.file = std::move(*file);
  r.cors = false;
  r.headers.emplace_back("Cache-Control", "no-cache");
  // No Cross-Origin-Opener/Embedder-Policy: no page of ours uses SharedArrayBuffer (worklet and
  // page talk by postMessage), and require-corp would block the third-party scripts and frames
  // of other pages served from --web-root (the original's video SDK).
  return r;
}

}  // namespace brigade::server
