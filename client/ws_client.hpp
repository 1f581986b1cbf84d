// brigade client: the exchange over a WebSocket (GET /api/ws), blocking, for tests and tools.
// The framing is the server's (README, "The exchange over a WebSocket"): a request is
// u32 BE query length | query | body; a reply is u16 BE status | u32 BE metadata length |
// X-Audio-Metadata JSON | body. Replies come back as HttpResponse, so every parser of the HTTP
// replies reads them unchanged. Beast stays in the .cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/http_client.hpp"

namespace brigade::client {

/// A request message: the query (no '?') and the body, framed.
std::string ws_request_message(std::string_view query, std::string_view body);

/// A reply message → status, an X-Audio-Metadata header and body; false when malformed.
bool parse_ws_reply(std::string_view message, HttpResponse& out);

/// One message as received.
struct WsMessage {
  bool binary = false;
  std::string data;
};

struct WsClientOptions {
  std::string path = "/api/ws";
  std::chrono::milliseconds timeout{10'000};  ///< handshake, each write and each read
  int receive_buffer_bytes = 0;               ///< SO_RCVBUF before connecting; 0 = default
  /// Splits each message into frames of at most this many bytes; 0 (the default) sends each
  /// message as one frame, as browsers do.
  std::size_t frame_bytes = 0;
};

class WsClient {
 public:
  /// Connects and upgrades; throws HttpError when the connection or the upgrade fails (the
  /// message then names the HTTP status the server answered).
  WsClient(std::string host, std::uint16_t port, WsClientOptions options = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  /// One request message and its reply (throws HttpError on a transport failure).
  HttpResponse exchange(std::string_view query, std::string_view body);
  /// The Singer's view: GET /api (the clock) and POST PATH?QUERY as exchange messages.
  HttpResponse get(std::string_view target) { return exchange(query_of(target), {}); }
  HttpResponse post(std::string_view target, std::string_view body) {
    return exchange(query_of(target), body);
  }

  /// Sends one message as it is.
  void send(std::string_view bytes, bool binary = true);
  /// The next message, or nothing when the connection closed or `timeout` passed.
  std::optional<WsMessage> read(std::chrono::milliseconds timeout);
  /// Text messages (the server's pushes, ?push=1) that came while exchange() waited for its
  /// reply, oldest first; taking them empties the list.
  std::vector<std::string> take_pushes();
  /// The next push: one already received, else the next message (a push, since no reply is
  /// awaited) within `timeout`; nothing when none came (the connection is then unusable).
  std::optional<std::string> next_push(std::chrono::milliseconds timeout);
  /// The close code the server sent (after read() returned nothing), 0 when none.
  std::uint16_t close_code() const;
  /// True when a read ended because the connection closed (not a timeout).
  bool closed() const;

 private:
  static std::string_view query_of(std::string_view target) {
    const std::size_t q = target.find('?');
    return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  }
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brigade::client
