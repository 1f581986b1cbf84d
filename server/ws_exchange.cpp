// brigade: the WebSocket's exchange adapter.
#include "ws_exchange.hpp"

#include <string>

namespace brigade::server {

ApiResponse ws_exchange(RoomDispatcher& rooms, std::string_view room_prefix, std::string_view query,
                        std::string_view body, WsCredentials credentials, bool chats_pushed) {
  // Per thread: the target's capacity is kept, so a steady stream of exchanges allocates nothing.
  thread_local std::string target;
  target.assign(room_prefix).append("/api");
  if (!query.empty()) target.append("?").append(query);
  return rooms.handle(query.empty() ? "GET" : "POST", target, body,
                      RequestExtras{.admin_token = credentials.admin_token,
                                    .operator_token = {},
                                    .authorization = {},
                                    .accept = {},
                                    .session_token = credentials.session_token,
                                    .api_at_root = false,
                                    .debug_stream = nullptr,
                                    .chats_pushed = chats_pushed});
}

}  // namespace brigade::server
