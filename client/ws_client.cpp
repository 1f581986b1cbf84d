// brigade client: blocking WebSocket on Beast; each call runs the async operation on a private
// io_context, bounded by a deadline (as http_client does).
#include "client/ws_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <utility>

namespace brigade::client {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Beast masks a client's message in this buffer: large enough for the largest upload (an
/// original-profile 600 ms batch at 256 kb/s is ~20 KB) to be masked and written in one pass.
constexpr std::size_t kMaskBufferBytes = 64 * 1024;

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[at + i]);
  return v;
}

}  // namespace

std::string ws_request_message(std::string_view query, std::string_view body) {
  std::string out;
  put_be(out, query.size(), 4);
  out.append(query);
  out.append(body);
  return out;
}

bool parse_ws_reply(std::string_view message, HttpResponse& out) {
  constexpr std::size_t kHead = 6;
  if (message.size() < kHead) return false;
  const std::uint64_t meta_len = get_be(message, 2, 4);
  if (meta_len > message.size() - kHead) return false;
  out.status = static_cast<int>(get_be(message, 0, 2));
  out.headers.clear();
  out.headers.emplace_back("X-Audio-Metadata", std::string(message.substr(kHead, meta_len)));
  out.body = std::string(message.substr(kHead + meta_len));
  out.keep_alive = true;
  return true;
}

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::chrono::milliseconds timeout;
  beast::flat_buffer buffer;
  bool closed = false;
  std::vector<std::string> pushes;

  /// Runs the pending operation; false when `limit` passed first (the connection is then cut).
  bool run(std::chrono::milliseconds limit) {
    ioc.restart();
    ioc.run_for(limit);
    if (ioc.stopped()) return true;
    beast::get_lowest_layer(ws).cancel();
    ioc.restart();
    ioc.run();
    return false;
  }
};

WsClient::WsClient(std::string host, std::uint16_t port, WsClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeout = options.timeout;
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  sock.open(tcp::v4());
  if (options.receive_buffer_bytes > 0) {
    sock.set_option(net::socket_base::receive_buffer_size(options.receive_buffer_bytes));
  }
  beast::error_code result;
  beast::get_lowest_layer(impl_->ws).async_connect(
      tcp::endpoint(net::ip::make_address(host), port),
      [&result](beast::error_code ec) { result = ec; });
  if (!impl_->run(options.timeout) || result) {
    throw HttpError("connect to " + host + ":" + std::to_string(port) + ": " + result.message());
  }
  websocket::response_type res;
  impl_->ws.async_handshake(res, host + ":" + std::to_string(port), options.path,
                            [&result](beast::error_code ec) { result = ec; });
  if (!impl_->run(options.timeout) || result) {
    throw HttpError("WebSocket upgrade to " + options.path + ": HTTP " +
                    std::to_string(res.result_int()) + " " + result.message());
  }
  impl_->ws.binary(true);
  impl_->ws.read_message_max(64u << 20);
  // By default as a browser sends: each message one frame, masked in one pass (Beast's
  // defaults split a message into 4 KiB frames, each its own write).
  impl_->ws.auto_fragment(options.frame_bytes > 0);
  impl_->ws.write_buffer_bytes(options.frame_bytes > 0 ? options.frame_bytes : kMaskBufferBytes);
}

WsClient::~WsClient() {
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

void WsClient::send(std::string_view bytes, bool binary) {
  impl_->ws.binary(binary);
  beast::error_code result;
  impl_->ws.async_write(net::buffer(bytes.data(), bytes.size()),
                        [&result](beast::error_code ec, std::size_t) { result = ec; });
  const bool in_time = impl_->run(impl_->timeout);
  impl_->ws.binary(true);
  if (!in_time) throw HttpError("WebSocket write timed out");
  if (result) throw HttpError("WebSocket write: " + result.message());
}

std::optional<WsMessage> WsClient::read(std::chrono::milliseconds timeout) {
  if (impl_->closed) return std::nullopt;
  beast::error_code result;
  impl_->buffer.clear();
  impl_->ws.async_read(impl_->buffer,
                       [&result](beast::error_code ec, std::size_t) { result = ec; });
  if (!impl_->run(timeout)) {
    impl_->closed = true;  // the cancelled read leaves the stream unusable
    return std::nullopt;
  }
  if (result) {
    impl_->closed = true;
    return std::nullopt;
  }
  WsMessage m;
  m.binary = impl_->ws.got_binary();
  m.data = beast::buffers_to_string(impl_->buffer.data());
  return m;
}

std::uint16_t WsClient::close_code() const {
  return static_cast<std::uint16_t>(impl_->ws.reason().code);
}

bool WsClient::closed() const {
  return impl_->closed;
}

std::vector<std::string> WsClient::take_pushes() {
  return std::exchange(impl_->pushes, {});
}

std::optional<std::string> WsClient::next_push(std::chrono::milliseconds timeout) {
  if (!impl_->pushes.empty()) {
    std::string first = std::move(impl_->pushes.front());
    impl_->pushes.erase(impl_->pushes.begin());
    return first;
  }
  auto m = read(timeout);
  if (!m) return std::nullopt;
  if (m->binary) throw HttpError("a binary message while no reply was awaited");
  return std::move(m->data);
}

HttpResponse WsClient::exchange(std::string_view query, std::string_view body) {
  send(ws_request_message(query, body));
  auto reply = read(impl_->timeout);
  while (reply && !reply->binary) {  // a push: kept for take_pushes()
    impl_->pushes.push_back(std::move(reply->data));
    reply = read(impl_->timeout);
  }
  if (!reply) throw HttpError("WebSocket closed before the reply");
  HttpResponse out;
  if (!reply->binary || !parse_ws_reply(reply->data, out)) {
    throw HttpError("malformed WebSocket reply");
  }
  return out;
}

}  // namespace brigade::client
