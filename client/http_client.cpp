// brigade client: blocking HTTP/1.1 on Beast. Each call runs async operations on a private
// io_context until they finish, so tcp_stream's deadline (which only applies to async
// operations) bounds every connect, write and read.
#include "client/http_client.hpp"

#include <strings.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace brigade::client {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Largest response body we accept (a 3 s exchange reply is ~30 KB; web files are small).
constexpr std::uint64_t kMaxResponseBytes = 64ull << 20;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

HttpResponse to_response(http::response<http::string_body>&& res) {
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res)
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.keep_alive = res.keep_alive();
  out.body = std::move(res.body());
  return out;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}

struct HttpClient::Impl {
  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int opened = 0;

  /// Runs the io_context until the pending operation's handler ran.
  void run() {
    ioc.restart();
    ioc.run();
  }

  void connect() {
    stream.emplace(ioc);
    buffer.clear();
    const tcp::endpoint ep(net::ip::make_address(host), port);
    beast::error_code result;
    stream->expires_after(timeout);
    stream->async_connect(ep, [&result](beast::error_code ec) { result = ec; });
    run();
    if (result) {
      stream.reset();
      throw HttpError("connect to " + host + ":" + std::to_string(port) + ": " + result.message());
    }
    ++opened;
  }

  beast::error_code write_bytes(std::string_view bytes) {
    beast::error_code result;
    stream->expires_after(timeout);
    net::async_write(stream->socket(), net::buffer(bytes.data(), bytes.size()),
                     [&result](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  beast::error_code write_request(http::request<http::string_body>& req) {
    beast::error_code result;
    stream->expires_after(timeout);
    http::async_write(*stream, req, [&result](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  beast::error_code read_response(http::response<http::string_body>& out) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    beast::error_code result;
    stream->expires_after(timeout);
    http::async_read(*stream, buffer, parser,
                     [&result](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (!result) out = parser.release();
    return result;
  }

  void drop() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->socket().close(ignored);
      stream.reset();
    }
    buffer.clear();
  }

  /// One round trip. A reused connection that turns out closed by the server is reopened
  /// once; a write error on a fresh one still tries to read the reply (e.g. a 413 sent before
  /// the server stopped reading).
  HttpResponse exchange(http::request<http::string_body>& req) {
    for (int attempt = 0;; ++attempt) {
      const bool reused = stream.has_value();
      if (!reused) connect();
      const auto wrote = write_request(req);
      if (wrote && reused && attempt == 0) {
        drop();
        continue;
      }
      http::response<http::string_body> res;
      const auto read = read_response(res);
      if (read) {
        const bool stale = reused && attempt == 0 && !wrote &&
                           (read == http::error::end_of_stream || read == net::error::eof ||
                            read == net::error::connection_reset);
        drop();
        if (stale) continue;
        throw HttpError(std::string(req.method_string()) + " " + std::string(req.target()) + ": " +
                        (wrote ? "write: " + wrote.message() + "; " : std::string()) +
                        "read: " + read.message());
      }
      HttpResponse out = to_response(std::move(res));
      if (!out.keep_alive || wrote) drop();
      return out;
    }
  }
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() {
  impl_->drop();
}

HttpResponse HttpClient::get(std::string_view target) {
  return request("GET", target, {});
}

HttpResponse HttpClient::post(std::string_view target, std::string_view body) {
  return request("POST", target, body);
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string_view body) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
  req.set(http::field::user_agent, "brigade-client");
  req.keep_alive(true);
  if (method != "GET" || !body.empty()) {
    req.set(http::field::content_type, "application/octet-stream");
    req.body() = std::string(body);
    req.prepare_payload();
  }
  return impl_->exchange(req);
}

HttpResponse HttpClient::raw(std::string_view raw_request) {
  impl_->drop();
  impl_->connect();
  const auto wrote = impl_->write_bytes(raw_request);
  http::response<http::string_body> res;
  const auto read = impl_->read_response(res);
  impl_->drop();
  if (read)
    throw HttpError("raw request: " + (wrote ? "write: " + wrote.message() + "; " : std::string()) +
                    "read: " + read.message());
  return to_response(std::move(res));
}

void HttpClient::close() {
  impl_->drop();
}

int HttpClient::connections_opened() const {
  return impl_->opened;
}

}  // namespace brigade::client
