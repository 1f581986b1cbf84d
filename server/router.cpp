// brigade: routing.
#include "router.hpp"

#include "debug_state.hpp"
#include "static_files.hpp"

namespace brigade::server {
namespace {

constexpr std::string_view kApiPrefix = "/api";
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

}  // namespace

Router::Router(Room& room, RouterConfig config)
    : room_(room), config_(std::move(config)), exchanges_(room, config_.share_encoders) {}

ApiResponse Router::handle(std::string_view method, std::string_view target,
                           std::string_view body) {
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (is_api_path(path)) return api(method, path, query, body);
  return static_file(method, path);
}

ApiResponse Router::api(std::string_view method, std::string_view path, std::string_view raw_query,
                        std::string_view body) {
  if (method == "OPTIONS") {
    ApiResponse r;
    r.content_type = "text/plain";
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
    return r;
  }
  if (path == "/api/debug/state") {
    if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD");
    return debug_state();
  }
  if (method == "GET" || method == "HEAD") return clock();
  if (method != "POST") return method_not_allowed("GET, HEAD, POST, OPTIONS");

  thread_local Query query;
  if (const char* e = query.parse(raw_query)) return error_response(400, e);
  if (auto action = query.get("action")) {
    if (*action != "status") return error_response(400, "unknown action");
    if (query.has("userid")) return error_response(400, "action=status takes no userid");
    return exchanges_.status();
  }
  if (!query.has("userid")) return error_response(400, "userid is required");
  return exchanges_.exchange(query, body);
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
  ApiResponse r;
  r.content_type = "application/json";
  r.body = debug_state_json(snapshot, rate);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse Router::static_file(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD");
  auto file = resolve_static(config_.web_root, path);
  if (!file) return error_response(404, "not found");
  ApiResponse r;
  r.content_type = std::string(mime_type(*file));
  r.file = std::move(*file);
  r.cors = false;
  r.headers.emplace_back("Cache-Control", "no-cache");
  // Cross-origin isolation lets the page use SharedArrayBuffer between worklet and worker.
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Embedder-Policy", "require-corp");
  return r;
}

}  // namespace brigade::server
