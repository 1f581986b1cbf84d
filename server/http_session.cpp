// brigade: HTTP session on Boost.Beast: keep-alive, limits, timeouts.
#include "http_session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <memory>
#include <optional>

#include "log.hpp"
#include "ws_session.hpp"

namespace brigade::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// Waiting for (and reading) the next request's header: covers idle keep-alive time too.
constexpr std::chrono::seconds kHeaderTimeout{30};
/// Reading a request body once its header arrived.
constexpr std::chrono::seconds kBodyTimeout{15};
/// Writing a response.
constexpr std::chrono::seconds kWriteTimeout{30};

/// A tar streamed from files (TarStream) as a Beast body: the archive's size is known up front,
/// and each get() reads the next piece into the writer's buffer.
struct ArchiveBody {
  /// Bytes read from the files per write.
  static constexpr std::size_t kChunkBytes = 64 * 1024;

  using value_type = TarStream;
  static std::uint64_t size(const value_type& body) { return body.size(); }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;

    template <bool isRequest, class Fields>
    writer(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(beast::error_code& ec) {
      buffer_.resize(kChunkBytes);
      ec = {};
    }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      const std::size_t n = body_.read(buffer_);
      if (n == 0) return boost::none;
      return {{net::const_buffer(buffer_.data(), n), body_.remaining() > 0}};
    }

   private:
    value_type& body_;
    std::vector<std::uint8_t> buffer_;
  };
};

template <class Body>
void set_common_headers(http::response<Body>& res, const ApiResponse& r) {
  res.set(http::field::server, "brigade");
  res.set(http::field::content_type, r.content_type);
  if (!r.audio_metadata.empty()) res.set("X-Audio-Metadata", r.audio_metadata);
  if (r.cors) {
    res.set(http::field::access_control_allow_origin, "*");
    res.set(http::field::access_control_max_age, "86400");
    res.set(http::field::access_control_expose_headers, "X-Audio-Metadata");
  }
  for (const auto& [name, value] : r.headers) res.set(name, value);
}

/// A HEAD answer: the headers (and length) of the GET answer, no body.
http::message_generator head_message(const ApiResponse& r, unsigned version, bool keep_alive,
                                     std::uint64_t size) {
  http::response<http::empty_body> res{static_cast<http::status>(r.status), version};
  set_common_headers(res, r);
  res.content_length(size);
  res.keep_alive(keep_alive);
  return res;
}

/// Opens a file to stream. With `no_symlink`, a symlink in the last component is refused by the
/// kernel (O_NOFOLLOW), so no check-then-open race can swap one in.
void open_file(const std::filesystem::path& path, bool no_symlink,
               http::file_body::value_type& body, beast::error_code& ec) {
  if (!no_symlink) return body.open(path.c_str(), beast::file_mode::scan, ec);
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    ec = beast::errc::make_error_code(beast::errc::no_such_file_or_directory);
    return;
  }
  beast::file file;
  file.native_handle(fd);  // owns it from here
  body.reset(std::move(file), ec);
}

http::message_generator make_message(ApiResponse&& r, unsigned version, bool keep_alive,
                                     bool head) {
  if (r.archive) {
    auto stream = TarStream::open(std::move(*r.archive));
    if (!stream) {
      r = error_response(500, stream.error());
    } else {
      if (head) return head_message(r, version, keep_alive, stream.value().size());
      http::response<ArchiveBody> res{std::piecewise_construct,
                                      std::make_tuple(std::move(stream).value()),
                                      std::make_tuple(http::status::ok, version)};
      set_common_headers(res, r);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      return res;
    }
  }
  if (r.file) {
    http::file_body::value_type body;
    beast::error_code ec;
    open_file(*r.file, r.no_symlink, body, ec);
    if (!ec) {
      if (head) return head_message(r, version, keep_alive, body.size());
      http::response<http::file_body> res{std::piecewise_construct,
                                          std::make_tuple(std::move(body)),
                                          std::make_tuple(http::status::ok, version)};
      set_common_headers(res, r);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      return res;
    }
    r = error_response(404, "not found");
  }
  if (head) return head_message(r, version, keep_alive, r.body.size());
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  set_common_headers(res, r);
  res.keep_alive(keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, SessionShared& shared,
              std::unique_ptr<ConnectionLimits::Ticket> ticket, bool api_at_root)
      : stream_(std::move(socket)),
        router_(shared.router),
        shared_(shared),
        connection_ticket_(std::move(ticket)),
        api_at_root_(api_at_root) {
    buffer_.reserve(kReadBufferBytes);
  }

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    // Beast checks Content-Length against the body limit while parsing the header, before
    // on_header knows the route: start from the largest limit and narrow it there.
    parser_->body_limit(kMaxUploadBodyBytes);
    parser_->header_limit(kMaxRequestHeaderBytes);
    stream_.expires_after(kHeaderTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return fail(ec);
    const std::size_t limit = is_upload() ? kMaxUploadBodyBytes : kMaxRequestBodyBytes;
    parser_->body_limit(limit);
    const auto length = parser_->content_length();
    if (length && *length > limit) return reject(413, body_limit_message());
    if (is_upload()) {
      // Admitted before its body is read: the gate bounds the bytes uploads hold in memory.
      upload_ticket_ = shared_.uploads.admit(length ? static_cast<std::size_t>(*length) : limit);
      if (!upload_ticket_) return reject(503, "too many uploads in flight; try again later");
    }
    stream_.expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return fail(ec);
    if (const auto kind = websocket_kind()) {
      // The router gates the path (--private for the debug stream) and answers 426 when the
      // request may upgrade; anything else (401, 403) is answered over HTTP.
      ApiResponse r = handle();
      if (r.status != 426) return respond(std::move(r));
      return start_ws_session(stream_.release_socket(), parser_->release(), shared_,
                              std::move(connection_ticket_), *kind);
    }
    if (is_upload()) {
      // Decoding an upload (WAV/MP3/FLAC…) may take seconds of CPU: on the upload worker, then back
      // here.
      return net::post(shared_.upload_worker, [self = shared_from_this()] {
        auto r = std::make_shared<ApiResponse>(self->handle());
        net::post(self->stream_.get_executor(), [self, r] { self->respond(std::move(*r)); });
      });
    }
    respond(handle());
  }

  ApiResponse handle() {
    auto& req = parser_->get();
    return router_.handle(req.method_string(), req.target(), req.body(),
                          RequestExtras{.admin_token = req["X-Admin-Token"],
                                        .operator_token = req["X-Operator-Token"],
                                        .authorization = req[http::field::authorization],
                                        .accept = req[http::field::accept],
                                        .session_token = req[kSessionTokenHeader],
                                        .api_at_root = api_at_root_});
  }

  void respond(ApiResponse&& r) {
    auto& req = parser_->get();
    const bool head = req.method() == http::verb::head;
    send(make_message(std::move(r), req.version(), req.keep_alive(), head), req.keep_alive());
  }

  void send(http::message_generator&& msg, bool keep_alive) {
    stream_.expires_after(kWriteTimeout);
    beast::async_write(
        stream_, std::move(msg),
        beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), keep_alive));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    upload_ticket_.reset();
    if (ec) return fail(ec);
    if (!keep_alive) return do_close();
    do_read();
  }

  /// A WebSocket upgrade to one of the WebSocket paths (not on a root-API port).
  std::optional<WsKind> websocket_kind() const {
    const auto& req = parser_->get();
    if (api_at_root_ || !beast::websocket::is_upgrade(req)) return std::nullopt;
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    // "/api/ws" or "/r/NAME/api/ws" (the dispatcher checks the name and answers 426 if it may).
    const bool room = path.starts_with("/r/");
    if (path == kWsExchangePath || (room && path.ends_with(kWsExchangePath))) {
      return WsKind::kExchange;
    }
    if (path == kWsDebugStreamPath || (room && path.ends_with(kWsDebugStreamPath))) {
      return WsKind::kDebugStream;
    }
    return std::nullopt;
  }

  /// Track uploads may be larger than any API request.
  bool is_upload() const {
    return parser_ && RoomDispatcher::is_upload_target(parser_->get().target(), api_at_root_);
  }

  /// The 413 message for the route's body limit.
  std::string_view body_limit_message() const {
    return is_upload() ? "upload larger than 32 MiB" : "request body larger than 1 MiB";
  }

  /// Answers a breached limit or malformed request, then closes.
  void reject(unsigned status, std::string_view message) {
    const ErrorReason reason =
        status == 400 ? ErrorReason::kMalformedHttp : reason_for_status(status);
    router_.metrics().record_error(reason);
    if (status != 400) {
      log_event(LogLevel::kWarn, "limit_hit", {{"limit", to_string(reason)}, {"reason", message}});
    }
    send(make_message(error_response(status, message, reason), 11, false, false), false);
  }

  void fail(beast::error_code ec) {
    if (ec == http::error::body_limit) return reject(413, body_limit_message());
    if (ec == http::error::header_limit) return reject(431, "request header larger than 16 KiB");
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return do_close();
    }
    if (ec.category() == beast::http::make_error_code(http::error::bad_target).category()) {
      return reject(400, "malformed HTTP request");
    }
    if (log_enabled(LogLevel::kDebug)) {
      log_event(LogLevel::kDebug, "session_error", {{"error", ec.message()}});
    }
    do_close();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  RoomDispatcher& router_;
  SessionShared& shared_;
  std::unique_ptr<ConnectionLimits::Ticket> connection_ticket_;
  std::unique_ptr<UploadGate::Ticket> upload_ticket_;
  const bool api_at_root_;
};

}  // namespace

void start_http_session(tcp::socket socket, SessionShared& shared,
                        std::unique_ptr<ConnectionLimits::Ticket> ticket, bool api_at_root) {
  std::make_shared<HttpSession>(std::move(socket), shared, std::move(ticket), api_at_root)->run();
}

}  // namespace brigade::server
