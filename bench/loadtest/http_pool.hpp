// brigade-loadtest: a minimal asynchronous HTTP/1.1 client over Asio with a fixed pool of
// keep-alive connections, as a browser keeps a few connections per origin and reuses them.
// Requests wait in a FIFO queue for a free connection; one request per connection at a time
// (no pipelining). Responses are read by Beast's parser (http_response.hpp): any HTTP/1.x
// framing, so any Bucket Brigade server (e.g. the original behind uWSGI) can be measured.
//
// Threading: a pool and its callbacks run on one io_context driven by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_response.hpp"

namespace brigade::loadtest {

namespace net = boost::asio;

/// What went wrong with a request, apart from its HTTP status.
/// kConnect: the TCP connection could not be opened (no request was sent, so no latency).
enum class Failure { kNone, kTimeout, kConnect, kTransport, kProtocol };

/// One request: method GET or POST, target (path and query), body (POST only).
struct HttpRequest {
  bool post = true;
  std::string target;
  std::string body;
};

/// One response, or why there is none. The views are valid only inside the callback.
struct HttpResult {
  Failure failure = Failure::kNone;
  std::string detail;  ///< text for failures
  int status = 0;
  std::string_view x_audio_metadata;
  std::string_view body;
  std::size_t wire_bytes = 0;     ///< the response as received (head and body)
  std::size_t request_bytes = 0;  ///< the request as sent (head and body)
};

using HttpCallback = std::function<void(const HttpResult&)>;

class HttpPool {
 public:
  /// Largest response accepted (a user summary of 10,000 singers is 510 KB).
  static constexpr std::size_t kMaxResponseBytes = 4 << 20;

  HttpPool(net::io_context& io, net::ip::tcp::endpoint endpoint, std::string host_header,
           std::size_t connections, std::chrono::milliseconds timeout);
  ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  /// Queues a request; `done` runs exactly once (unless the pool is shut down first).
  void submit(HttpRequest request, HttpCallback done);
  /// Closes every connection and drops queued requests without calling them back.
  void shutdown();

  /// TCP connections opened so far (keep-alive reuse keeps this near the pool size).
  std::uint64_t connections_opened() const { return connections_opened_; }
  /// Requests waiting for a free connection right now.
  std::size_t queued() const { return queue_.size(); }

 private:
  class Connection;
  struct Pending {
    HttpRequest request;
    HttpCallback done;
  };
  void on_idle(Connection* c);

  net::io_context& io_;
  net::ip::tcp::endpoint endpoint_;
  std::string host_header_;
  std::chrono::milliseconds timeout_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<Pending> queue_;
  std::uint64_t connections_opened_ = 0;
  bool shut_down_ = false;
};

/// host, port and path of an http:// URL (no https). Returns false on anything else.
struct ParsedUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string path = "/";
};
bool parse_http_url(std::string_view url, ParsedUrl& out);

}  // namespace brigade::loadtest
