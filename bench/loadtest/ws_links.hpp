// brigade-loadtest: --transport ws. Each singer has its own WebSocket to PATH/ws (as each page
// has one), opened on its first request and again after a failure. A request (the clock GET or
// an exchange POST) becomes one message: u32 BE query length | query | body; replies come back
// in request order as u16 BE status | u32 BE metadata length | X-Audio-Metadata | body and are
// handed to the same callbacks as HttpPool's, so singers do not know which transport they use.
//
// Threading: as HttpPool, one io_context driven by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_pool.hpp"

namespace brigade::loadtest {

class WsLinks {
 public:
  WsLinks(net::io_context& io, net::ip::tcp::endpoint endpoint, std::string host_header,
          std::string path, std::size_t singers, std::chrono::milliseconds timeout);
  ~WsLinks();
  WsLinks(const WsLinks&) = delete;
  WsLinks& operator=(const WsLinks&) = delete;

  /// Sends `request` on singer `index`'s WebSocket; `done` runs exactly once (unless shut down):
  /// with the reply, or a failure (every request in flight on a link fails with it).
  void submit(std::size_t index, HttpRequest request, HttpCallback done);
  void shutdown();

  /// Receives the singer's index and the wire size of every text message (a push; replies are
  /// binary).
  using PushSink = std::function<void(std::size_t, std::size_t)>;
  void on_push(PushSink sink) { push_sink_ = std::move(sink); }

  /// WebSockets opened so far (a steady run keeps this at one per singer).
  std::uint64_t connections_opened() const { return opened_; }

 private:
  class Link;
  net::io_context& io_;
  net::ip::tcp::endpoint endpoint_;
  std::string host_header_;
  std::string path_;
  std::chrono::milliseconds timeout_;
  std::vector<std::shared_ptr<Link>> links_;
  std::uint64_t opened_ = 0;
  PushSink push_sink_;
  bool shut_down_ = false;
};

}  // namespace brigade::loadtest
