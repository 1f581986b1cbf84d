// brigade: routing.
#include "router.hpp"

#include <boost/json.hpp>

#include "debug_state.hpp"
#include "static_files.hpp"

namespace brigade::server {
namespace {

constexpr std::string_view kApiPrefix = "/api";
constexpr std::string_view kRecordingsPrefix = "/recordings";
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

bool is_read(std::string_view method) {
  return method == "GET" || method == "HEAD";
}

void html_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

Router::Router(Room& room, TrackLibrary* tracks, RecordingStore* recordings, RouterConfig config)
    : room_(room),
      tracks_(tracks),
      recordings_(recordings),
      config_(std::move(config)),
      exchanges_(room, config_.exchange, tracks, &metrics_) {
  if (tracks_) room_.set_tracks(tracks_->list());
}

ApiResponse Router::handle(std::string_view method, std::string_view target, std::string_view body,
                           RequestExtras extras) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  ApiResponse r = route(method, path, query, body, extras);
  metrics_.record_request(r.status, std::chrono::steady_clock::now() - start,
                          target.size() + body.size(), r.body.size());
  return r;
}

ApiResponse Router::route(std::string_view method, std::string_view path, std::string_view query,
                          std::string_view body, RequestExtras extras) {
  if (path == "/metrics") return is_read(method) ? metrics_text() : method_not_allowed("GET, HEAD");
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
  const bool upload_path = path == "/api/upload";
  if (path == "/api/debug/state" || path == "/api/telemetry" || path == "/api/tracks") {
    if (!is_read(method)) return method_not_allowed("GET, HEAD");
    if (path == "/api/debug/state") return debug_state();
    return path == "/api/telemetry" ? telemetry() : tracks_list();
  }
  if (upload_path && method != "POST") return method_not_allowed("POST");
  if (is_read(method)) return clock();
  if (method != "POST") return method_not_allowed("GET, HEAD, POST, OPTIONS");

  thread_local Query query;
  if (const char* e = query.parse(raw_query)) return error_response(400, e);
  if (upload_path) {
    // With --admin-token, adding tracks is an operator's action like choosing them.
    if (!exchanges_.is_admin(query.get("admin_token").value_or(extras.admin_token))) {
      return error_response(403, "uploading tracks needs the admin token");
    }
    return upload(body);
  }
  if (auto action = query.get("action")) {
    if (*action != "status") return error_response(400, "unknown action");
    if (query.has("userid")) return error_response(400, "action=status takes no userid");
    return exchanges_.status();
  }
  if (!query.has("userid")) return error_response(400, "userid is required");
  return exchanges_.exchange(
      query, body, {.admin_token = extras.admin_token, .session_token = extras.session_token});
}

ApiResponse Router::clock() {
  ApiResponse r;
  r.audio_metadata = "{\"server_clock\": ";
  append_json_int(r.audio_metadata, room_.now());
  r.audio_metadata += ", \"server_sample_rate\": ";
  append_json_int(r.audio_metadata, kSampleRate);
  r.audio_metadata += ", \"server_version\": ";
  append_json_string(r.audio_metadata, config_.version);
  r.audio_metadata += ", \"server_branch\": \"main\"}";
  r.body = "ok";
  return r;
}

ApiResponse Router::debug_state() {
  thread_local RoomSnapshot snapshot;
  room_.snapshot(snapshot);
  double rate = 0.0;
  {
    std::lock_guard lock(rate_mutex_);
    const auto now = std::chrono::steady_clock::now();
    const auto elapsed = now - rate_time_;
    if (elapsed >= kRateWindow) {
      if (rate_time_ != std::chrono::steady_clock::time_point{}) {
        rate_ = static_cast<double>(snapshot.requests - rate_requests_) /
                std::chrono::duration<double>(elapsed).count();
      }
      rate_time_ = now;
      rate_requests_ = snapshot.requests;
    }
    rate = rate_;
  }
  return json_response(debug_state_json(snapshot, rate));
}

ApiResponse Router::telemetry() {
  namespace json = boost::json;
  RoomSnapshot snap;
  room_.snapshot(snap);
  const auto shared = exchanges_.shared_encoder_stats();
  json::object server{
      {"server_version", config_.version},
      {"server_uptime",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
      {"server_clock", snap.server_clock},
      {"server_sample_rate", kSampleRate},
      {"threads", config_.threads},
      {"n_connected_users", snap.singers.size()},
      {"user_records", room_.user_records()},
      {"exchanges", snap.requests},
      {"http_requests", metrics_.requests()},
      {"song_start_clock", snap.song_start_clock},
      {"song_end_clock", snap.song_end_clock},
      {"first_bucket", snap.first_bucket},
      {"queue_size", static_cast<double>(kRingFrames)},
      {"shared_encoding",
       {{"enabled", config_.exchange.share_encoders},
        {"frames_encoded", shared.encoded},
        {"frames_reused", shared.reused},
        {"frames_missed", shared.missed},
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
    };
    c["write_window"] = s.write_window
                            ? json::value(json::array{s.write_window->begin, s.write_window->end})
                            : json::value(nullptr);
    clients[std::to_string(s.id)] = std::move(c);
  }
  const double request_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return json_response(json::serialize(json::object{{"request_time", request_time},
                                                    {"server", std::move(server)},
                                                    {"clients", std::move(clients)}}));
}

ApiResponse Router::metrics_text() {
  RoomSnapshot snap;
  room_.snapshot(snap);
  const auto shared = exchanges_.shared_encoder_stats();
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.cors = false;
  r.body = metrics_.prometheus(Metrics::Gauges{
      .active_singers = static_cast<int>(snap.singers.size()),
      .ring_clears = snap.clears,
      .cleared_samples = snap.cleared_samples,
      .shared_frames_encoded = shared.encoded,
      .shared_frames_reused = shared.reused,
      .shared_frames_missed = shared.missed,
  });
  return r;
}

ApiResponse Router::tracks_list() {
  boost::json::array names;
  if (tracks_) {
    for (auto& t : tracks_->list()) names.emplace_back(t);
  }
  return json_response(boost::json::serialize(boost::json::object{{"tracks", std::move(names)}}));
}

ApiResponse Router::upload(std::string_view body) {
  if (!tracks_) return error_response(404, "this server has no tracks directory");
  if (body.size() > kMaxTrackUploadBytes) return error_response(413, "upload larger than 32 MiB");
  if (tracks_->storage_full()) return error_response(507, kTrackStorageFull);
  auto added = tracks_->add_upload(
      std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  if (!added) {
    return error_response(added.error().starts_with(kTrackStorageFull) ? 507 : 400, added.error());
  }
  auto list = tracks_->list();
  room_.set_tracks(list);
  boost::json::array names(list.begin(), list.end());
  return json_response(boost::json::serialize(
      boost::json::object{{"track", added.value()}, {"tracks", std::move(names)}}));
}

ApiResponse Router::recordings(std::string_view method, std::string_view path) {
  if (!is_read(method)) return method_not_allowed("GET, HEAD");
  if (!recordings_) return error_response(404, "recording is off");
  const auto entries = recordings_->list();
  if (path == kRecordingsPrefix || path == "/recordings/") {
    std::string html =
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Recordings</title><link rel=\"stylesheet\" href=\"/style.css\">"
        "<main class=\"recordings\"><h1>Recordings</h1>"
        "<p>Every song, as the last bucket heard it (16-bit mono WAV, 48 kHz). Names are UTC "
        "start times, newest first.</p><ul>";
    for (const auto& e : entries) {
      html += "<li><a href=\"/recordings/";
      html_escape(html, e.name);
      html += "\">";
      html_escape(html, e.name);
      html += "</a> ";
      html += std::to_string(e.bytes / 1024);
      html += e.finished ? " KiB</li>" : " KiB (recording…)</li>";
    }
    if (entries.empty()) html += "<li>No recordings yet.</li>";
    html += "</ul><p><a href=\"/\">Back to the choir</a></p></main></html>";
    ApiResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(html);
    r.cors = false;
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  const std::string_view name = path.substr(kRecordingsPrefix.size() + 1);
  for (const auto& e : entries) {
    if (e.name == name) {
      ApiResponse r;
      r.content_type = "audio/wav";
      r.file = recordings_->dir() / e.name;
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
  // Cross-origin isolation lets the page use SharedArrayBuffer between worklet and worker.
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Embedder-Policy", "require-corp");
  return r;
}

}  // namespace brigade::server
