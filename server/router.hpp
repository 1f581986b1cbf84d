// brigade: which handler answers a request: the API under /api, metrics, recordings, and static
// files. Beast-free, so it is unit-testable without sockets.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "api_response.hpp"
#include "brigade/recording_store.hpp"
#include "brigade/room.hpp"
#include "brigade/track_library.hpp"
#include "exchange_service.hpp"
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
};

class Router {
 public:
  /// `tracks` and `recordings` may be null (feature off).
  Router(Room& room, TrackLibrary* tracks, RecordingStore* recordings, RouterConfig config);

  /// Answers one request. `target` is the request-target (path and query).
  ApiResponse handle(std::string_view method, std::string_view target, std::string_view body,
                     RequestExtras extras = {});

  /// Counters, for the recorder and for tests.
  Metrics& metrics() { return metrics_; }
  /// What /readyz reports; main sets listening and draining.
  Readiness& readiness() { return readiness_; }

 private:
  ApiResponse route(std::string_view method, std::string_view path, std::string_view query,
                    std::string_view body, RequestExtras extras);
  ApiResponse api(std::string_view method, std::string_view path, std::string_view query,
                  std::string_view body, RequestExtras extras);
  ApiResponse clock();
  ApiResponse healthz();
  ApiResponse readyz();
  ApiResponse debug_state();
  ApiResponse telemetry();
  ApiResponse metrics_text();
  ApiResponse tracks_list();
  ApiResponse upload(std::string_view body);
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
  ExchangeService exchanges_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  /// Requests-per-second estimate for the debug view: counts at the previous poll.
  std::mutex rate_mutex_;
  std::chrono::steady_clock::time_point rate_time_{};
  std::uint64_t rate_requests_ = 0;
  double rate_ = 0.0;
};

}  // namespace brigade::server
