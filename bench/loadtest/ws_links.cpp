// brigade-loadtest: one WebSocket per singer (see ws_links.hpp).
#include "ws_links.hpp"

#include <deque>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace brigade::loadtest {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

/// Bytes a frame header adds: server frames are unmasked, client frames carry a 4-byte mask.
std::size_t frame_header_bytes(std::size_t payload, bool masked) {
  const std::size_t length = payload < 126 ? 2 : (payload < 65536 ? 4 : 10);
  return length + (masked ? 4 : 0);
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[at + i]);
  return v;
}

}  // namespace

class WsLinks::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(WsLinks& owner, std::size_t index) : owner_(owner), index_(index), timer_(owner.io_) {}

  void submit(HttpRequest request, HttpCallback done) {
    const std::string_view target = request.target;
    const std::size_t q = target.find('?');
    const std::string_view query =
        q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    std::string message;
    for (int i = 3; i >= 0; --i)
      message.push_back(static_cast<char>((query.size() >> (8 * i)) & 0xff));
    message.append(query).append(request.body);
    pending_.push_back({std::move(done), message.size(), std::chrono::steady_clock::now()});
    outgoing_.push_back(std::move(message));
    if (pending_.size() == 1) arm_timer();
    if (state_ == State::kClosed) return connect();
    if (state_ == State::kOpen && outgoing_.size() == 1) do_write();
  }

  void stop() {
    stopped_ = true;
    pending_.clear();
    outgoing_.clear();
    close();
  }

 private:
  enum class State { kClosed, kConnecting, kOpen };
  struct Pending {
    HttpCallback done;
    std::size_t request_bytes;
    std::chrono::steady_clock::time_point sent;
  };

  void connect() {
    state_ = State::kConnecting;
    ++owner_.opened_;
    ws_ = std::make_shared<Stream>(owner_.io_);
    beast::get_lowest_layer(*ws_).async_connect(
        owner_.endpoint_, [self = shared_from_this(), ws = ws_](error_code ec) {
          if (ws != self->ws_) return;  // an old socket
          if (ec) return self->fail(ec, "connect", Failure::kConnect);
          beast::get_lowest_layer(*ws).socket().set_option(net::ip::tcp::no_delay(true));
          ws->async_handshake(self->owner_.host_header_, self->owner_.path_,
                              [self, ws](error_code hec) {
                                if (ws != self->ws_) return;
                                if (hec) return self->fail(hec, "upgrade", Failure::kConnect);
                                self->on_open();
                              });
        });
  }

  void on_open() {
    state_ = State::kOpen;
    ws_->binary(true);
    ws_->read_message_max(HttpPool::kMaxResponseBytes);
    if (!outgoing_.empty()) do_write();
    do_read();
  }

  void do_write() {
    ws_->async_write(net::buffer(outgoing_.front()),
                     [self = shared_from_this(), ws = ws_](error_code ec, std::size_t) {
                       if (ws != self->ws_) return;  // an old socket
                       if (ec) return self->fail(ec, "write");
                       self->outgoing_.pop_front();
                       if (!self->outgoing_.empty()) self->do_write();
                     });
  }

  void do_read() {
    in_.clear();
    ws_->async_read(in_, [self = shared_from_this(), ws = ws_](error_code ec, std::size_t) {
      if (ws != self->ws_) return;
      if (ec) return self->fail(ec, "read reply");
      if (ws->got_text()) return self->on_push();
      self->on_reply();
    });
  }

  /// A push (the link asked with ?push=1): counted, then the next message.
  void on_push() {
    const std::size_t n = in_.size();
    if (owner_.push_sink_) owner_.push_sink_(index_, n + frame_header_bytes(n, false));
    if (state_ == State::kOpen && !stopped_) do_read();
  }

  void on_reply() {
    const std::string message = beast::buffers_to_string(in_.data());
    if (pending_.empty()) return fail(error_code(), "reply without a request", Failure::kProtocol);
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    HttpResult result;
    if (message.size() < 6 || get_be(message, 2, 4) > message.size() - 6) {
      result.failure = Failure::kProtocol;
      result.detail = "malformed WebSocket reply";
    } else {
      const std::size_t meta = get_be(message, 2, 4);
      result.status = static_cast<int>(get_be(message, 0, 2));
      result.x_audio_metadata = std::string_view(message).substr(6, meta);
      result.body = std::string_view(message).substr(6 + meta);
    }
    result.wire_bytes = message.size() + frame_header_bytes(message.size(), false);
    result.request_bytes = p.request_bytes + frame_header_bytes(p.request_bytes, true);
    arm_timer();
    if (p.done) p.done(result);
    if (state_ == State::kOpen && !stopped_) do_read();
  }

  /// The deadline of the oldest request in flight.
  void arm_timer() {
    timer_.cancel();
    if (pending_.empty()) return;
    const std::uint64_t generation = ++generation_;
    timer_.expires_at(pending_.front().sent + owner_.timeout_);
    timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
      if (ec || self->generation_ != generation || self->pending_.empty()) return;
      self->fail(net::error::timed_out, "timeout", Failure::kTimeout);
    });
  }

  void fail(error_code ec, const char* where, Failure kind = Failure::kTransport) {
    close();
    auto failed = std::move(pending_);
    pending_.clear();
    outgoing_.clear();
    HttpResult result;
    result.failure = kind;
    result.detail = std::string(where) + ": " + ec.message();
    for (auto& p : failed) {
      if (stopped_) return;
      if (p.done) p.done(result);
    }
  }

  void close() {
    state_ = State::kClosed;
    ++generation_;
    timer_.cancel();
    if (ws_) {
      error_code ignored;
      beast::get_lowest_layer(*ws_).socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(*ws_).socket().close(ignored);
      ws_.reset();  // its pending handlers hold it until they ran, and then see it is old
    }
  }

  using Stream = websocket::stream<beast::tcp_stream>;
  WsLinks& owner_;
  const std::size_t index_;
  std::shared_ptr<Stream> ws_;
  net::steady_timer timer_;
  beast::flat_buffer in_;
  std::deque<Pending> pending_;
  std::deque<std::string> outgoing_;
  State state_ = State::kClosed;
  std::uint64_t generation_ = 0;
  bool stopped_ = false;
};

WsLinks::WsLinks(net::io_context& io, net::ip::tcp::endpoint endpoint, std::string host_header,
                 std::string path, std::size_t singers, std::chrono::milliseconds timeout)
    : io_(io),
      endpoint_(endpoint),
      host_header_(std::move(host_header)),
      path_(std::move(path)),
      timeout_(timeout) {
  links_.resize(singers);
}

WsLinks::~WsLinks() {
  shutdown();
}

void WsLinks::submit(std::size_t index, HttpRequest request, HttpCallback done) {
  if (shut_down_) return;
  if (index >= links_.size()) links_.resize(index + 1);
  if (!links_[index]) links_[index] = std::make_shared<Link>(*this, index);
  links_[index]->submit(std::move(request), std::move(done));
}

void WsLinks::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& l : links_) {
    if (l) l->stop();
  }
}

}  // namespace brigade::loadtest
