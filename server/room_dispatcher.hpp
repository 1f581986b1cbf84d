// brigade: the front of the server: /r/<room>/… goes to that room's Router with the prefix
// stripped; everything else (/, /api, /debug.html, /recordings/, /metrics…) to the default room,
// so the original client and every older URL work unchanged. It also answers the lobby
// (GET /api/rooms, /rooms) and adds the rooms' figures to /metrics. Beast-free.
#pragma once

#include <chrono>
#include <string_view>

#include "room_directory.hpp"
#include "router.hpp"

namespace brigade::server {

class RoomDispatcher {
 public:
  explicit RoomDispatcher(RoomDirectory& rooms) : rooms_(rooms) {}

  /// Answers one request, in whichever room it names.
  ApiResponse handle(std::string_view method, std::string_view target, std::string_view body,
                     RequestExtras extras = {});

  /// Router::is_upload_target for the target with its room prefix removed.
  static bool is_upload_target(std::string_view target, bool api_at_root);

  /// Counters of errors that belong to no request (connections, accepts): the default room's.
  Metrics& metrics() { return rooms_.default_room().router().metrics(); }
  /// The default room's readiness (/readyz and the drain).
  Readiness& readiness() { return rooms_.default_room().router().readiness(); }
  RoomDirectory& rooms() { return rooms_; }

 private:
  ApiResponse in_room(std::string_view method, std::string_view target, std::string_view body,
                      RequestExtras extras);
  /// `r`, answered here before any room (the lobby, redirects, refused room names), counted
  /// in the default room's metrics as that room's Router counts its own answers.
  ApiResponse counted(ApiResponse r, std::chrono::steady_clock::time_point start,
                      std::string_view target, std::string_view body);
  ApiResponse lobby(std::string_view method);
  /// The default room's /metrics plus the rooms' families.
  ApiResponse metrics_text(std::string_view method, std::string_view target, RequestExtras extras);

  RoomDirectory& rooms_;
};

}  // namespace brigade::server
