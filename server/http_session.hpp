// brigade: one HTTP/1.1 connection. Beast stays in the .cpp: only main and the listener see this.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "connection_limits.hpp"
#include "room_dispatcher.hpp"
#include "upload_gate.hpp"
#include "ws_push_ticker.hpp"

namespace brigade::server {

/// Limits of one connection, named where they are enforced.
inline constexpr std::size_t kMaxRequestBodyBytes = 1024 * 1024;      ///< 1 MiB
inline constexpr std::size_t kMaxRequestHeaderBytes = 16 * 1024;      ///< 16 KiB
inline constexpr std::size_t kMaxUploadBodyBytes = 32 * 1024 * 1024;  ///< upload routes
/// Each connection's read buffer, reserved once: Beast reads at most the free capacity (at
/// least 512 B), so an empty buffer took a 5 KB exchange in ten recvmsg calls; 16 KiB takes a
/// page exchange (and most original-client ones, up to ~19 KB) in one or two.
inline constexpr std::size_t kReadBufferBytes = 16 * 1024;

/// What every session shares: the rooms' dispatcher, the upload gate and the worker that converts
/// uploads (one thread, lowest priority: an upload's decoding and resampling never run on an I/O
/// thread).
struct SessionShared {
  RoomDispatcher& router;
  UploadGate& uploads;
  boost::asio::thread_pool& upload_worker;
  WsPushTicker& ws_pushes;  ///< the pushing WebSockets' one timer
};

/// Starts serving an accepted socket (on its own strand); the session owns itself and the
/// connection's ticket. `api_at_root`: the socket came in on a --root-api-listen port
/// (RequestExtras::api_at_root).
void start_http_session(boost::asio::ip::tcp::socket socket, SessionShared& shared,
                        std::unique_ptr<ConnectionLimits::Ticket> ticket, bool api_at_root = false);

}  // namespace brigade::server
