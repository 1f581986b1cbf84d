// brigade-loadtest: keep-alive HTTP/1.1 connection pool (see http_pool.hpp).
#include "http_pool.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

namespace brigade::loadtest {
namespace {

using boost::system::error_code;

}  // namespace

/// One keep-alive connection: connect on demand, write one request, read one response.
class HttpPool::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpPool& pool)
      : pool_(pool), socket_(pool.io_), timer_(pool.io_), reader_(kMaxResponseBytes) {}

  void start(Pending p) {
    pending_ = std::move(p);
    timed_out_ = false;
    const std::uint64_t generation = ++generation_;
    timer_.expires_after(pool_.timeout_);
    timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
      // Cancelled, or expired just as the response completed and another request started.
      if (ec || self->generation_ != generation || self->pending_.done == nullptr) return;
      self->timed_out_ = true;
      self->close();
    });
    build_request();
    reused_ = socket_.is_open();
    retried_ = false;
    if (reused_) return do_write();
    connect();
  }

  void close() {
    error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    reader_.clear();
  }

  void stop() {
    timer_.cancel();
    close();
    pending_.done = nullptr;
  }

 private:
  void build_request() {
    const HttpRequest& r = pending_.request;
    wire_.clear();
    wire_.append(r.post ? "POST " : "GET ").append(r.target).append(" HTTP/1.1\r\nHost: ");
    wire_.append(pool_.host_header_).append("\r\n");
    if (r.post) {
      wire_.append("Content-Type: application/octet-stream\r\nContent-Length: ")
          .append(std::to_string(r.body.size()))
          .append("\r\n");
    }
    wire_.append("\r\n").append(r.body);
  }

  void connect() {
    ++pool_.connections_opened_;
    socket_.async_connect(pool_.endpoint_, [self = shared_from_this()](error_code ec) {
      if (ec) return self->fail(ec, "connect", Failure::kConnect);
      self->socket_.set_option(net::ip::tcp::no_delay(true));
      self->do_write();
    });
  }

  void do_write() {
    net::async_write(socket_, net::buffer(wire_),
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (ec) return self->fail(ec, "write");
                       self->do_read_head();
                     });
  }

  void do_read_head() {
    reader_.async_read(socket_, [self = shared_from_this()](error_code ec) {
      if (ec) return self->fail(ec, "read response");
      self->finish();
    });
  }

  void finish() {
    timer_.cancel();
    HttpResult result;
    result.status = reader_.status();
    result.x_audio_metadata = reader_.header("X-Audio-Metadata");
    result.body = reader_.body();
    result.wire_bytes = reader_.wire_bytes();
    result.request_bytes = wire_.size();
    const bool keep_alive = reader_.keep_alive();
    deliver(result);
    if (!keep_alive) close();
    pool_.on_idle(this);
  }

  void fail_protocol(std::string what) {
    HttpResult result;
    result.failure = Failure::kProtocol;
    result.detail = std::move(what);
    timer_.cancel();
    close();
    deliver(result);
    pool_.on_idle(this);
  }

  void fail(error_code ec, const char* where, Failure kind = Failure::kTransport) {
    if (pending_.done == nullptr) return;  // pool shut down
    // A keep-alive connection the server closed while it sat idle fails at once, before any
    // response byte: send the request again on a new connection, once, as browsers do.
    const bool closed_while_idle =
        ec == net::error::eof || ec == boost::beast::http::error::end_of_stream ||
        ec == net::error::connection_reset || ec == net::error::broken_pipe;
    if (closed_while_idle && reused_ && !retried_ && !timed_out_ && reader_.nothing_received()) {
      retried_ = true;
      reused_ = false;
      close();
      return connect();
    }
    HttpResult result;
    result.failure = timed_out_ ? Failure::kTimeout : kind;
    result.detail = std::string(where) + ": " + (timed_out_ ? "timeout" : ec.message());
    timer_.cancel();
    close();
    deliver(result);
    pool_.on_idle(this);
  }

  void deliver(const HttpResult& result) {
    auto done = std::move(pending_.done);
    pending_ = {};
    if (done) done(result);
  }

  HttpPool& pool_;
  net::ip::tcp::socket socket_;
  net::steady_timer timer_;  ///< the request's deadline; closes the socket when it fires
  Pending pending_;
  std::string wire_;       ///< the request bytes being written
  ResponseReader reader_;  ///< Beast's parser and the bytes read ahead
  bool timed_out_ = false;
  bool reused_ = false;           ///< this request went out on an already open connection
  bool retried_ = false;          ///< it was already sent again once
  std::uint64_t generation_ = 0;  ///< bumped per request, so a stale deadline does nothing
};

HttpPool::HttpPool(net::io_context& io, net::ip::tcp::endpoint endpoint, std::string host_header,
                   std::size_t connections, std::chrono::milliseconds timeout)
    : io_(io), endpoint_(endpoint), host_header_(std::move(host_header)), timeout_(timeout) {
  connections = std::max<std::size_t>(connections, 1);
  for (std::size_t i = 0; i < connections; ++i) {
    connections_.push_back(std::make_shared<Connection>(*this));
    idle_.push_back(connections_.back().get());
  }
}

HttpPool::~HttpPool() {
  shutdown();
}

void HttpPool::submit(HttpRequest request, HttpCallback done) {
  if (shut_down_) return;
  Pending p{std::move(request), std::move(done)};
  if (idle_.empty()) {
    queue_.push_back(std::move(p));
    return;
  }
  Connection* c = idle_.back();
  idle_.pop_back();
  c->start(std::move(p));
}

void HttpPool::on_idle(Connection* c) {
  if (shut_down_) return;
  if (queue_.empty()) {
    idle_.push_back(c);
    return;
  }
  Pending p = std::move(queue_.front());
  queue_.pop_front();
  c->start(std::move(p));
}

void HttpPool::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  queue_.clear();
  for (auto& c : connections_) c->stop();
}

bool parse_http_url(std::string_view url, ParsedUrl& out) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.path.find('?') != std::string::npos || out.path.find('#') != std::string::npos)
    return false;
  const auto colon = authority.rfind(':');
  out.port = 80;
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    if (std::from_chars(port.data(), port.data() + port.size(), out.port).ec != std::errc{} ||
        out.port == 0)
      return false;
    authority = authority.substr(0, colon);
  }
  out.host = std::string(authority);
  return !out.host.empty();
}

}  // namespace brigade::loadtest
