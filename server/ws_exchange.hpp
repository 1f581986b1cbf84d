// brigade: the one place where a WebSocket message becomes an exchange. Everything the HTTP
// exchange checks (parsing, limits, session tokens, rates, drain) applies, because this calls the
// same entry point the HTTP session does for /api.
#pragma once

#include <string_view>

#include "api_response.hpp"
#include "router.hpp"

namespace brigade::server {

/// Credentials a WebSocket carries outside its messages: the upgrade request's headers
/// (browsers cannot set them; the query's admin_token= and session_token= work as over HTTP).
struct WsCredentials {
  std::string_view admin_token;    ///< X-Admin-Token of the upgrade request
  std::string_view session_token;  ///< X-Session-Token of the upgrade request
};

/// Answers one request message's query and body as POST /api?QUERY would be answered (an empty
/// query as GET /api: the clock).
ApiResponse ws_exchange(Router& router, std::string_view query, std::string_view body,
                        WsCredentials credentials);

}  // namespace brigade::server
