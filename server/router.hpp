// brigade: which handler answers a request: the API under /api (or at / on a root-API port),
// the original's /upload, metrics, recordings, the uploaded image, and static files. Beast-free, so
// it is unit-testable without sockets.
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "admin_token.hpp"
#include "api_response.hpp"
#include "brigade/engine/room.hpp"
#include "brigade/storage/recording_store.hpp"
#include "brigade/storage/track_library.hpp"
#include "debug_delta.hpp"
#include "exchange_service.hpp"
#include "image_store.hpp"
#include "metrics.hpp"
#include "readiness.hpp"

namespace brigade::server {

struct RouterConfig {
  std::filesystem::path web_root;  ///< canonical
  std::string version = "unknown";
  ExchangeConfig exchange;
  unsigned threads = 1;  ///< reported by telemetry
  /// --private: recordings, debug state, telemetry and metrics need an operator's token.
  bool private_data = false;
  /// Read-only token that unlocks what --private hides (the admin token does too).
  std::string operator_token;
};

/// What a request carries besides method, target and body.
struct RequestExtras {
  std::string_view admin_token;     ///< X-Admin-Token header
  std::string_view operator_token;  ///< X-Operator-Token header
  std::string_view authorization;   ///< Authorization header ("Bearer TOKEN")
  std::string_view accept;          ///< Accept header: errors become HTML for browsers
  std::string_view session_token;   ///< X-Session-Token header
  /// It came in on a --root-api-listen port: the API answers at "/" (the original page's
  /// localhost mode), and "/?type=…" is its upload route.
  bool api_at_root = false;
  /// The debug stream's viewer (ws_session): with ?delta=1, its place in the room's chain.
  DebugStreamCursor* debug_stream = nullptr;
  /// The exchange came over a WebSocket that pushes this singer's chat lines (wire::Credentials).
  bool chats_pushed = false;
};

class Router {
 public:
  /// `tracks` and `recordings` may be null (feature off).
  Router(Room& room, TrackLibrary* tracks, RecordingStore* recordings, RouterConfig config);

  /// Answers one request. `target` is the request-target (path and query).
  ApiResponse handle(std::string_view method, std::string_view target, std::string_view body,
                     RequestExtras extras = {});

  /// True when `target` goes to an upload route, whose body may be larger than an API request's
  /// (/api/upload, /upload, and "/?type=" on a root-API port).
  static bool is_upload_target(std::string_view target, bool api_at_root);

  /// Counters, for the recorder and for tests.
  Metrics& metrics() { return metrics_; }
  /// What /readyz reports; main sets listening and draining.
  Readiness& readiness() { return readiness_; }
  /// This room's Prometheus text (what its /metrics answers). Without `process_families` the
  /// process_* gauges are left out (they are the same for every room; reading them costs a few
  /// syscalls).
  std::string exposition(bool process_families = true);

 private:
  ApiResponse route(std::string_view method, std::string_view path, std::string_view query,
                    std::string_view body, RequestExtras extras);
  ApiResponse api(std::string_view method, std::string_view path, std::string_view query,
                  std::string_view body, RequestExtras extras);
  ApiResponse clock();
  ApiResponse healthz();
  ApiResponse readyz();
  ApiResponse debug_state(std::string_view raw_query, DebugStreamCursor* cursor = nullptr);
  /// The debug stream with ?delta=1: the chain's newest link for this viewer (204: none new).
  ApiResponse debug_stream_link(DebugStreamCursor& cursor,
                                std::chrono::steady_clock::time_point now);
  /// Exchanges per second, re-measured when polls are at least kRateWindow apart.
  double requests_per_second(std::chrono::steady_clock::time_point now, std::uint64_t requests);
  ApiResponse telemetry();
  ApiResponse metrics_text();
  ApiResponse tracks_list();
  /// Decodes an uploaded audio file and stores it as a track: under `name` (replacing it), or
  /// under a generated name when empty.
  ApiResponse upload(std::string_view body, const std::string& name = {});
  /// The original's upload route: POST /upload?type=backingTrack|image.
  ApiResponse original_upload(std::string_view method, std::string_view query,
                              std::string_view body, RequestExtras extras);
  ApiResponse user_upload_image(std::string_view method);
  /// The reply to a stored track: its name and the new list (also sent to the room).
  ApiResponse track_added(const std::string& name);
  ApiResponse recordings(std::string_view method, std::string_view path);
  ApiResponse recordings_list();
  /// With --private: null when the request may see operator-only data, else the 401/403.
  std::optional<ApiResponse> private_gate(std::string_view query, RequestExtras extras) const;
  ApiResponse static_file(std::string_view method, std::string_view path);

  Room& room_;
  TrackLibrary* tracks_;
  RecordingStore* recordings_;
  RouterConfig config_;
  Metrics metrics_;
  Readiness readiness_;
  /// The chart's problem detectors, fed by every exchange (declared before exchanges_).
  SingerHealth health_{static_cast<std::size_t>(room_.max_users())};
  ExchangeService exchanges_;
  ImageStore image_;
  /// The tokens that open operator-only data with --private, kept as digests (AdminToken).
  const AdminToken operator_token_{config_.operator_token};
  const AdminToken admin_token_{config_.exchange.admin_token};
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  /// Unix seconds at start, telemetry's server_startup_time (the original's field).
  const std::int64_t started_unix_ = std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
  /// Requests-per-second estimate for the debug view: counts at the previous poll.
  std::mutex rate_mutex_;
  std::chrono::steady_clock::time_point rate_time_{};
  std::uint64_t rate_requests_ = 0;
  double rate_ = 0.0;
  /// The last debug state built, per format, reused for kDebugStateReuse.
  static constexpr std::chrono::milliseconds kDebugStateReuse{100};
  struct CachedDebugState {
    std::string body;
    std::chrono::steady_clock::time_point built{};
  };
  std::mutex debug_cache_mutex_;
  std::array<CachedDebugState, 2> debug_cache_;
  /// The debug stream's chain of states for all viewers with ?delta=1 (debug_delta.hpp), a link
  /// at most every kDebugStateReuse.
  struct DebugChain {
    std::chrono::steady_clock::time_point built{};
    std::uint64_t link = 0;
    std::string whole;
    std::string delta;
    DebugDeltaEncoder encoder;
  };
  std::mutex debug_chain_mutex_;
  DebugChain debug_chain_;
};

}  // namespace brigade::server
