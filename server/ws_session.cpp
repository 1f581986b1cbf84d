// brigade: WebSocket sessions on Boost.Beast: the exchange over /api/ws and the debug stream.
#include "ws_session.hpp"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "debug_delta.hpp"
#include "log.hpp"
#include "room_instance.hpp"
#include "token_bucket.hpp"
#include "ws_exchange.hpp"
#include "ws_message.hpp"
#include "ws_push.hpp"
#include "ws_push_ticker.hpp"

namespace brigade::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// What a queued message is: replies are binary and counted against kMaxWsQueuedMessages;
/// pushes (and the debug stream's states) are text.
enum class OutKind { kReply, kSummary, kChats, kDebugState };

struct Outgoing {
  std::string data;
  OutKind kind = OutKind::kReply;
};

using Clock = std::chrono::steady_clock;

/// chats_seen_ before the first take: the singer's queue may hold lines from before the socket.
constexpr std::uint64_t kChatsNeverTaken = ~std::uint64_t{0};

class WsSession : public std::enable_shared_from_this<WsSession>, public WsPushTicker::Subscriber {
 public:
  WsSession(tcp::socket&& socket, http::request<http::string_body>&& request, SessionShared& shared,
            std::unique_ptr<ConnectionLimits::Ticket> ticket, WsKind kind)
      : ws_(std::move(socket)),
        request_(std::move(request)),
        router_(shared.router),
        pushes_(shared.ws_pushes),
        ticket_(std::move(ticket)),
        kind_(kind),
        watchdog_(ws_.get_executor()),
        debug_timer_(ws_.get_executor()),
        rate_(kWsMessageBurst, kWsMessagesPerSecond, Clock::now()) {}

  /// The push ticker's look (its thread; atomics and the room's chat counter only).
  bool push_may_be_due(Clock::time_point now) const override {
    if (wake_pending_.load(std::memory_order_relaxed)) return false;
    if (now.time_since_epoch().count() >= summary_look_at_.load(std::memory_order_relaxed)) {
      return true;
    }
    if (!has_userid_.load(std::memory_order_relaxed)) return false;
    const auto room = room_.lock();
    return room && room->room().chat_generation() != chats_seen_.load(std::memory_order_relaxed);
  }

  void wake() override {
    if (wake_pending_.exchange(true, std::memory_order_relaxed)) return;
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->push_now(); });
  }

  void run() {
    net::dispatch(ws_.get_executor(),
                  beast::bind_front_handler(&WsSession::accept, shared_from_this()));
  }

 private:
  void accept() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().set_option(
        net::socket_base::send_buffer_size(kWsSendBufferBytes), ec);
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts from here
    ws_.set_option(websocket::stream_base::timeout{.handshake_timeout = kWsHandshakeTimeout,
                                                   .idle_timeout = kWsIdleTimeout,
                                                   .keep_alive_pings = true});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "brigade"); }));
    ws_.read_message_max(kMaxWsMessageBytes);
    // One frame per message: Beast would otherwise split anything over its 4 KiB write buffer
    // into frames of their own, one sendmsg each (a 600 ms reply is ~5 KB).
    ws_.auto_fragment(false);
    ws_.binary(kind_ == WsKind::kExchange);
    ws_.async_accept(request_,
                     beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec) {
    if (ec) return;
    credentials_ = WsCredentials{.admin_token = request_["X-Admin-Token"],
                                 .session_token = request_[kSessionTokenHeader]};
    const std::string_view target = request_.target();
    const std::size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view suffix =
        kind_ == WsKind::kExchange ? kWsExchangePath : kWsDebugStreamPath;
    room_prefix_ = path.substr(0, path.size() - suffix.size());  // the HTTP session checked it
    if (kind_ == WsKind::kDebugStream) {
      // The upgrade's query (?token=… with --private, ?compact=1) goes with every state request.
      debug_target_ = room_prefix_ + "/api/debug/state";
      cursor_ = std::make_unique<DebugStreamCursor>();
      if (q != std::string_view::npos) debug_target_.append(target.substr(q));
      push_debug_state();
    } else if (ws_push_requested(q == std::string_view::npos ? "" : target.substr(q + 1))) {
      push_ = true;
      room_ = router_.room_at(room_prefix_);
      push_now();  // the summary at once; then the server's push ticker wakes this socket
      pushes_.add(shared_from_this());
    }
    do_read();
  }

  void do_read() {
    ws_.async_read(in_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return stop();  // closed, timed out, too big (Beast closed with 1009) or cut
    const std::string_view message(static_cast<const char*>(in_.cdata().data()), in_.size());
    if (kind_ == WsKind::kDebugStream || !ws_.got_binary()) {
      refuse(400, kind_ == WsKind::kDebugStream ? "the debug stream takes no messages"
                                                : "requests are binary messages");
      return close(WsCloseCode::kUnsupportedData);
    }
    if (!rate_.take(std::chrono::steady_clock::now())) {
      refuse(429, "more than 25 WebSocket messages a second");
    } else {
      WsRequest req;
      if (const char* e = decode_ws_request(message, kMaxRequestBodyBytes, req)) {
        refuse(400, e);
      } else {
        // Chats are pushed to the singer this socket exchanges for (once its request passed
        // every check, its session token included): its replies leave them to the pushes.
        // No allocation: a scan of the query.
        const auto id = push_ ? ws_query_userid(req.query) : std::nullopt;
        const bool chats_pushed = id && (!userid_ || *id == *userid_);
        const ApiResponse r =
            ws_exchange(router_, room_prefix_, req.query, req.body, credentials_, chats_pushed);
        if (id && r.status == 200 && id != userid_) {
          userid_ = id;
          chats_seen_.store(kChatsNeverTaken, std::memory_order_relaxed);
          has_userid_.store(true, std::memory_order_relaxed);
        }
        enqueue_reply(r);
      }
    }
    in_.consume(in_.size());
    // A client that sends faster than it reads waits: no next read until the replies drain.
    if (replies_queued_ >= kMaxWsQueuedMessages) {
      read_paused_ = true;
      return;
    }
    if (!stopped_) do_read();
  }

  /// A message refused here, before the router: counted as the router counts its errors.
  void refuse(unsigned status, std::string_view message) {
    ApiResponse r = error_response(status, message);
    router_.metrics().record_error(r.reason);
    enqueue_reply(r);
  }

  /// Queues a message. Reading pauses at kMaxWsQueuedMessages, so only a push can pass it:
  /// then the client is dropped.
  void enqueue_reply(const ApiResponse& r) {
    // A written message's buffer is reused: a steady stream of replies allocates nothing here.
    std::string out;
    if (!spare_.empty()) {
      out = std::move(spare_.back());
      spare_.pop_back();
    }
    encode_ws_reply(r, out);
    enqueue(std::move(out), OutKind::kReply);
  }

  void enqueue(std::string message, OutKind kind) {
    if (stopped_) return;
    if (queue_.size() > kMaxWsQueuedMessages + kMaxWsQueuedPushes) return drop_slow_reader();
    if (kind == OutKind::kReply) ++replies_queued_;
    queue_.push_back(Outgoing{std::move(message), kind});
    if (queue_.size() == 1) do_write();
  }

  /// A queued push of `kind` not yet being written, or null.
  Outgoing* unsent(OutKind kind) {
    for (std::size_t i = writing_ ? 1 : 0; i < queue_.size(); ++i) {
      if (queue_[i].kind == kind) return &queue_[i];
    }
    return nullptr;
  }

  /// Pushes (?push=1), when the ticker says one may be due: this singer's new chat lines and,
  /// when the pacer says so, the summary. Off the exchange path: the room lock covers pointer
  /// copies only.
  void push_now() {
    wake_pending_.store(false, std::memory_order_relaxed);
    if (stopped_ || closing_) return;
    if (const auto room = room_.lock()) {
      push_chats(room->room(), room->router().metrics());
      push_summary(*room, room->router().metrics());
    }
  }

  void push_chats(Room& room, Metrics& metrics) {
    // While a chat push waits unsent, new lines stay queued in the room (the replies over this
    // socket leave them; one over HTTP would take them): every line arrives once.
    if (!userid_ || unsent(OutKind::kChats)) return;
    // The lock only when a line may be waiting (the room's counter moved since the last take).
    const std::uint64_t generation = room.chat_generation();
    if (generation == chats_seen_.load(std::memory_order_relaxed)) return;
    chats_seen_.store(generation, std::memory_order_relaxed);
    room.take_chats(*userid_, chats_);
    if (chats_.empty()) return;
    std::string out;
    encode_chats_push(chats_, out);
    metrics.add_ws_push(false, out.size());
    enqueue(std::move(out), OutKind::kChats);
  }

  void push_summary(RoomInstance& room, Metrics& metrics) {
    const auto now = Clock::now();
    if (!pacer_.may_be_due(now)) return look_for_summary_at(pacer_.first_possible());
    Room::SummarySnapshot snap = room.room().summary_snapshot();
    // Encoded once per listing for the whole room: its size paces this socket's push.
    const auto encoded = room.summary_push().encoded(snap.listing, snap.version);
    if (!pacer_.due(snap.listing, snap.version, now, encoded->size())) {
      return look_for_summary_at(now + kWsPushPeriod);
    }
    Outgoing* waiting = unsent(OutKind::kSummary);  // a newer summary replaces it
    std::string out = *encoded;
    pacer_.pushed(std::move(snap.listing), snap.version, out.size(), now);
    metrics.add_ws_push(true, out.size());
    look_for_summary_at(pacer_.first_possible());
    if (waiting) {
      waiting->data = std::move(out);
    } else {
      enqueue(std::move(out), OutKind::kSummary);
    }
  }

  void look_for_summary_at(Clock::time_point at) {
    summary_look_at_.store(at.time_since_epoch().count(), std::memory_order_relaxed);
  }

  void do_write() {
    writing_ = true;
    write_started_ = Clock::now();
    // One timer wait per kWsWriteTimeout, not one per message: it checks the write then
    // under way (a wait set and cancelled per reply cost two timer-queue operations each).
    if (!watchdog_armed_) watch_write(kWsWriteTimeout);
    ws_.binary(queue_.front().kind == OutKind::kReply);
    ws_.async_write(net::buffer(queue_.front().data),
                    beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
  }

  void watch_write(Clock::duration after) {
    watchdog_armed_ = true;
    watchdog_.expires_after(after);
    watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->watchdog_armed_ = false;
      if (ec || self->stopped_ || !self->writing_) return;  // idle: the next write re-arms it
      const auto waited = Clock::now() - self->write_started_;
      if (waited >= kWsWriteTimeout) return self->drop_slow_reader();
      self->watch_write(kWsWriteTimeout - waited);  // a later write: watch it to its own end
    });
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return stop();
    if (queue_.front().kind == OutKind::kReply) {
      --replies_queued_;
      if (spare_.size() < kSpareBuffers) spare_.push_back(std::move(queue_.front().data));
    }
    queue_.pop_front();
    if (closing_ && queue_.empty()) return send_close();
    if (!queue_.empty()) do_write();
    if (read_paused_ && replies_queued_ < kMaxWsQueuedMessages && !stopped_ && !closing_) {
      read_paused_ = false;
      do_read();
    }
  }

  /// Sends the close frame once what is queued (the error that explains it) is written.
  void close(WsCloseCode code) {
    closing_ = true;
    close_code_ = code;
    if (queue_.empty()) send_close();
  }

  void send_close() {
    if (stopped_) return;
    stopped_ = true;
    debug_timer_.cancel();
    ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(close_code_)),
                    [self = shared_from_this()](beast::error_code) {});
  }

  void drop_slow_reader() {
    if (stopped_) return;
    log_event(LogLevel::kInfo, "ws_slow_reader_dropped",
              {{"queued", queue_.size()}, {"kind", kind_name()}});
    stop();
  }

  /// Cuts the connection at once (no close handshake: the peer is not reading).
  void stop() {
    stopped_ = true;
    debug_timer_.cancel();
    watchdog_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
  }

  /// The debug stream: the state every kDebugStreamPeriod, when it changed and the previous
  /// one has been written (a slow viewer gets fewer states, until kWsWriteTimeout drops it).
  void push_debug_state() {
    if (stopped_) return;
    if (queue_.empty()) {
      ApiResponse r = router_.handle("GET", debug_target_, "", debug_extras());
      // 204: with ?delta=1, this viewer holds the room's newest state already.
      if (r.status != 200 && r.status != 204) {  // not expected: the upgrade passed the gate
        enqueue(std::move(r.body), OutKind::kDebugState);
        return close(WsCloseCode::kPolicy);
      }
      if (r.status == 200 && r.body != last_state_) {
        last_state_ = r.body;
        enqueue(std::move(r.body), OutKind::kDebugState);
      }
    }
    debug_timer_.expires_after(kDebugStreamPeriod);
    debug_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->push_debug_state();
    });
  }

  RequestExtras debug_extras() {
    return RequestExtras{.admin_token = request_["X-Admin-Token"],
                         .operator_token = request_["X-Operator-Token"],
                         .authorization = request_[http::field::authorization],
                         .accept = {},
                         .session_token = {},
                         .api_at_root = false,
                         .debug_stream = cursor_.get()};
  }

  std::string_view kind_name() const {
    return kind_ == WsKind::kExchange ? "exchange" : "debug_stream";
  }

  websocket::stream<beast::tcp_stream> ws_;
  http::request<http::string_body> request_;
  RoomDispatcher& router_;
  WsPushTicker& pushes_;
  /// "" for the default room, "/r/NAME" for a named room: where the WebSocket was opened.
  std::string room_prefix_;
  std::unique_ptr<ConnectionLimits::Ticket> ticket_;
  const WsKind kind_;
  WsCredentials credentials_;
  beast::flat_buffer in_;
  std::deque<Outgoing> queue_;
  std::size_t replies_queued_ = 0;
  /// Buffers of written messages, kept for the next replies.
  static constexpr std::size_t kSpareBuffers = 2;
  std::vector<std::string> spare_;
  /// Watches the write under way (kWsWriteTimeout); armed while writes come.
  net::steady_timer watchdog_;
  bool watchdog_armed_ = false;
  Clock::time_point write_started_;
  net::steady_timer debug_timer_;
  TokenBucket rate_;
  std::string debug_target_;
  std::string last_state_;
  /// Pushes (?push=1): the room (not kept alive by the socket; set before the ticker knows the
  /// socket, then only read), the singer, the pacing. The atomics are what the ticker reads.
  bool push_ = false;
  std::weak_ptr<RoomInstance> room_;
  std::optional<std::uint64_t> userid_;
  std::atomic<bool> has_userid_{false};
  std::atomic<std::uint64_t> chats_seen_{kChatsNeverTaken};  ///< the room's chat counter then
  std::atomic<Clock::rep> summary_look_at_{0};               ///< steady_clock ticks
  std::atomic<bool> wake_pending_{false};
  std::vector<std::pair<std::string, std::string>> chats_;
  SummaryPushPacer pacer_;
  /// The debug stream's place in the room's chain of states (used with ?delta=1).
  std::unique_ptr<DebugStreamCursor> cursor_;
  bool writing_ = false;
  bool read_paused_ = false;
  bool closing_ = false;
  bool stopped_ = false;
  WsCloseCode close_code_ = WsCloseCode::kUnsupportedData;
};

}  // namespace

void start_ws_session(tcp::socket socket, http::request<http::string_body> request,
                      SessionShared& shared, std::unique_ptr<ConnectionLimits::Ticket> ticket,
                      WsKind kind) {
  std::make_shared<WsSession>(std::move(socket), std::move(request), shared, std::move(ticket),
                              kind)
      ->run();
}

}  // namespace brigade::server
