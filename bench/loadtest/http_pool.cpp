// brigade-loadtest: keep-alive HTTP/1.1 connection pool (see http_pool.hpp).
#include "http_pool.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace brigade::loadtest {
namespace {

using boost::system::error_code;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// The parts of a response head the load tester needs.
struct Head {
  int status = 0;
  std::size_t content_length = 0;
  bool has_length = false;
  bool close = false;
  bool chunked = false;
  std::string_view x_audio_metadata;
};

/// Parses "HTTP/1.x SSS reason\r\n" and the header lines of `head` (without the final CRLF).
bool parse_head(std::string_view head, Head& out) {
  const auto eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") return false;
  if (std::from_chars(status_line.data() + 9, status_line.data() + 12, out.status).ec !=
      std::errc{})
    return false;
  out.close = status_line.substr(5, 3) == "1.0";
  std::size_t at = eol == std::string_view::npos ? head.size() : eol + 2;
  while (at < head.size()) {
    auto end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (std::from_chars(value.data(), value.data() + value.size(), out.content_length).ec !=
          std::errc{})
        return false;
      out.has_length = true;
    } else if (iequals(name, "Connection")) {
      if (iequals(value, "close")) out.close = true;
      if (iequals(value, "keep-alive")) out.close = false;
    } else if (iequals(name, "Transfer-Encoding")) {
      out.chunked = !iequals(value, "identity");
    } else if (iequals(name, "X-Audio-Metadata")) {
      out.x_audio_metadata = value;
    }
  }
  return true;
}

}  // namespace

/// One keep-alive connection: connect on demand, write one request, read one response.
class HttpPool::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpPool& pool) : pool_(pool), socket_(pool.io_), timer_(pool.io_) {}

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
    buffer_.clear();
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
      if (ec) return self->fail(ec, "connect");
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
    net::async_read_until(socket_, net::dynamic_buffer(buffer_, kMaxResponseBytes), "\r\n\r\n",
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            if (ec) return self->fail(ec, "read header");
                            self->on_head(n);
                          });
  }

  void on_head(std::size_t head_bytes) {
    if (!parse_head(std::string_view(buffer_).substr(0, head_bytes - 2), head_))
      return fail_protocol("malformed response head");
    if (head_.chunked || !head_.has_length) return fail_protocol("response without Content-Length");
    head_bytes_ = head_bytes;
    const std::size_t total = head_bytes + head_.content_length;
    if (total > kMaxResponseBytes) return fail_protocol("response too large");
    if (buffer_.size() >= total) return finish();
    net::async_read(socket_, net::dynamic_buffer(buffer_, kMaxResponseBytes),
                    net::transfer_exactly(total - buffer_.size()),
                    [self = shared_from_this()](error_code ec, std::size_t) {
                      if (ec) return self->fail(ec, "read body");
                      self->finish();
                    });
  }

  void finish() {
    timer_.cancel();
    HttpResult result;
    result.status = head_.status;
    // Re-parse the header view: buffer_ may have moved while the body was read.
    Head head;
    (void)parse_head(std::string_view(buffer_).substr(0, head_bytes_ - 2), head);
    result.x_audio_metadata = head.x_audio_metadata;
    result.body = std::string_view(buffer_).substr(head_bytes_, head_.content_length);
    deliver(result);
    buffer_.erase(0, head_bytes_ + head_.content_length);
    if (head_.close) close();
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

  void fail(error_code ec, const char* where) {
    if (pending_.done == nullptr) return;  // pool shut down
    // A keep-alive connection the server closed while it sat idle fails at once, before any
    // response byte: send the request again on a new connection, once, as browsers do.
    const bool closed_while_idle = ec == net::error::eof || ec == net::error::connection_reset ||
                                   ec == net::error::broken_pipe;
    if (closed_while_idle && reused_ && !retried_ && !timed_out_ && buffer_.empty()) {
      retried_ = true;
      reused_ = false;
      close();
      return connect();
    }
    HttpResult result;
    result.failure = timed_out_ ? Failure::kTimeout : Failure::kTransport;
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
  std::string wire_;    ///< the request bytes being written
  std::string buffer_;  ///< response bytes read so far (may hold the start of nothing else)
  Head head_;
  std::size_t head_bytes_ = 0;
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
