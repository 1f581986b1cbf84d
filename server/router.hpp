// brigade: which handler answers a request: the API under /api, static files elsewhere.
// Beast-free, so it is unit-testable without sockets.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "api_response.hpp"
#include "brigade/room.hpp"
#include "exchange_service.hpp"

namespace brigade::server {

struct RouterConfig {
  std::filesystem::path web_root;  ///< canonical
  std::string version = "unknown";
  bool share_encoders = true;  ///< see SharedEncoders
};

class Router {
 public:
  Router(Room& room, RouterConfig config);

  /// Answers one request. `target` is the request-target (path and query).
  ApiResponse handle(std::string_view method, std::string_view target, std::string_view body);

 private:
  ApiResponse api(std::string_view method, std::string_view path, std::string_view query,
                  std::string_view body);
  ApiResponse clock();
  ApiResponse debug_state();
  ApiResponse static_file(std::string_view method, std::string_view path);

  Room& room_;
  RouterConfig config_;
  ExchangeService exchanges_;
  /// Requests-per-second estimate for the debug view: counts at the previous poll.
  std::mutex rate_mutex_;
  std::chrono::steady_clock::time_point rate_time_{};
  std::uint64_t rate_requests_ = 0;
  double rate_ = 0.0;
};

}  // namespace brigade::server
