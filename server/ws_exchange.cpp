// brigade: the WebSocket's exchange adapter.
#include "ws_exchange.hpp"

#include <string>

namespace brigade::server {

ApiResponse ws_exchange(Router& router, std::string_view query, std::string_view body,
                        WsCredentials credentials) {
  // Per thread: the target's capacity is kept, so a steady stream of exchanges allocates nothing.
  thread_local std::string target;
  target.assign("/api");
  if (!query.empty()) target.append("?").append(query);
  return router.handle(query.empty() ? "GET" : "POST", target, body,
                       RequestExtras{.admin_token = credentials.admin_token,
                                     .operator_token = {},
                                     .authorization = {},
                                     .accept = {},
                                     .session_token = credentials.session_token});
}

}  // namespace brigade::server
