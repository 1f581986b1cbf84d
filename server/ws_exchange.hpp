// brigade: the one place where a WebSocket message becomes an exchange. Everything the HTTP
// exchange checks (parsing, limits, session tokens, rates, drain) applies, because this calls the
// same entry point the HTTP session does for /api.
#pragma once

#include <string_view>

#include "api_response.hpp"
#include "room_dispatcher.hpp"

namespace brigade::server {

/// Credentials a WebSocket carries outside its messages: the upgrade request's headers
/// (browsers cannot set them; the query's admin_token= and session_token= work as over HTTP).
struct WsCredentials {
  std::string_view admin_token;    ///< X-Admin-Token of the upgrade request
  std::string_view session_token;  ///< X-Session-Token of the upgrade request
};

/// Answers one request message's query and body as POST ROOM/api?QUERY would be answered (an
/// empty query as GET ROOM/api: the clock). `room_prefix`: "" for the default room, "/r/NAME"
/// for a named one (the path the WebSocket was opened on, without "/api/ws"). `chats_pushed`:
/// the socket pushes this singer's chat lines, so the reply leaves them (wire::Credentials).
ApiResponse ws_exchange(RoomDispatcher& rooms, std::string_view room_prefix, std::string_view query,
                        std::string_view body, WsCredentials credentials, bool chats_pushed);

}  // namespace brigade::server
