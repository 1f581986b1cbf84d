// brigade: the framing of the exchange over a WebSocket (GET /api/ws). Beast-free, so the fuzz
// target and unit tests compile it alone.
//
// Request (client → server, one binary message):
//   u32 big-endian Q | Q bytes: the exchange's query string, exactly as after "/api?" (no '?')
//                    | the rest: the request body, exactly as the HTTP POST body
// An empty query asks for the clock (GET /api); "action=status" is the status request.
// Reply (server → client, one binary message per request, in request order):
//   u16 big-endian HTTP status | u32 big-endian M | M bytes: the X-Audio-Metadata JSON
//                              | the rest: the HTTP reply body
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api_response.hpp"

namespace brigade::server {

/// Longest query in a request message: the HTTP header limit (16 KiB).
inline constexpr std::size_t kMaxWsQueryBytes = 16 * 1024;
/// Bytes of the request framing before the query (its length, u32).
inline constexpr std::size_t kWsRequestHeadBytes = 4;
/// Bytes of the reply framing before the metadata (status u16, metadata length u32).
inline constexpr std::size_t kWsReplyHeadBytes = 6;

/// A decoded request message: views into the message.
struct WsRequest {
  std::string_view query;
  std::string_view body;
};

/// Splits a request message; null on success, else why it is malformed (a 400's message).
/// `max_body_bytes`: the HTTP exchange's body limit.
const char* decode_ws_request(std::string_view message, std::size_t max_body_bytes, WsRequest& out);

/// Builds a request message (the clients' side; tests and the load tester use it too).
std::string encode_ws_request(std::string_view query, std::string_view body);

/// Writes `r` as a reply message into `out` (cleared first): status, X-Audio-Metadata and body
/// (an error's metadata and body are both its {"kill_client": true, "message": …} JSON).
void encode_ws_reply(const ApiResponse& r, std::string& out);

}  // namespace brigade::server
