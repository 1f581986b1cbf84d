// brigade: WebSocket sessions, upgraded from an HTTP request: GET /api/ws carries exchanges
// (ws_message.hpp), GET /api/debug/stream pushes the operators' debug state. Beast stays in the
// .cpp; the HTTP session hands the upgrade over here.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "connection_limits.hpp"
#include "http_session.hpp"

namespace brigade::server {

/// Paths that upgrade (in the default room; a named room's are below /r/NAME).
inline constexpr std::string_view kWsExchangePath = "/api/ws";
inline constexpr std::string_view kWsDebugStreamPath = "/api/debug/stream";

/// Limits of one WebSocket, named where they are enforced (README, Limits).
/// Largest message: the framing, the longest query and the HTTP exchange's body limit.
inline constexpr std::size_t kMaxWsMessageBytes = 4 + 16 * 1024 + kMaxRequestBodyBytes;
/// Request messages per second one connection may send, and its burst; beyond: a 429 reply.
inline constexpr double kWsMessagesPerSecond = 25.0;
inline constexpr double kWsMessageBurst = 50.0;
/// Nothing received for half of this: the server pings; nothing for all of it: closed.
inline constexpr std::chrono::seconds kWsIdleTimeout{30};
/// The opening (and closing) handshake.
inline constexpr std::chrono::seconds kWsHandshakeTimeout{10};
/// A reply or push the client does not take within this is a slow reader: dropped.
inline constexpr std::chrono::seconds kWsWriteTimeout{5};
/// Replies queued for writing: at this many the server reads no further request until they
/// drain (a client that sends without reading then meets kWsWriteTimeout).
inline constexpr std::size_t kMaxWsQueuedMessages = 16;
/// The kernel's send buffer of a WebSocket (SO_SNDBUF), so a slow reader is found in time.
inline constexpr int kWsSendBufferBytes = 64 * 1024;
/// The debug stream's period (at most 10 states a second; unchanged states are not resent).
inline constexpr std::chrono::milliseconds kDebugStreamPeriod{100};

/// Close codes the server sends (Beast itself sends 1009 for a message over the size limit and
/// 1002 for a protocol error; a slow reader's connection is cut without a close frame).
enum class WsCloseCode : std::uint16_t {
  kUnsupportedData = 1003,  ///< a text message, or any message to the debug stream
  kPolicy = 1008,           ///< the debug stream's token stopped opening it
};

enum class WsKind { kExchange, kDebugStream };

/// Takes over `socket` after an upgrade request, with the connection's ticket (WebSockets
/// count in --max-connections and --max-connections-per-address like any connection).
/// `request` is the upgrade request (its headers carry X-Admin-Token / X-Session-Token).
void start_ws_session(boost::asio::ip::tcp::socket socket,
                      boost::beast::http::request<boost::beast::http::string_body> request,
                      SessionShared& shared, std::unique_ptr<ConnectionLimits::Ticket> ticket,
                      WsKind kind);

}  // namespace brigade::server
