// brigade-loadtest: reads one HTTP/1.x response with Beast's parser, so the load tester can
// measure any server: Content-Length, chunked or close-delimited bodies (no Content-Length,
// the end of the body is the connection's end), HTTP/1.0 and HTTP/1.1.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

namespace brigade::loadtest {

class ResponseReader {
 public:
  /// Largest head accepted.
  static constexpr std::uint32_t kMaxHeadBytes = 64 * 1024;

  explicit ResponseReader(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  /// Reads the next response from `socket`; `done(ec)` runs once. Bytes the server sent after
  /// the response stay buffered for the next one.
  void async_read(boost::asio::ip::tcp::socket& socket,
                  std::function<void(boost::system::error_code)> done);

  /// After a successful read: the status code, a header's value ("" if absent), the body.
  int status() const;
  std::string_view header(std::string_view name) const;
  std::string_view body() const;
  /// Whether the connection may carry another request (HTTP/1.0 without keep-alive, or
  /// Connection: close, or a close-delimited body: no).
  bool keep_alive() const;
  /// Bytes of the response as received (head and body, chunk framing included).
  std::size_t wire_bytes() const { return wire_bytes_; }
  /// True when no byte of a response has arrived since the last read began.
  bool nothing_received() const { return wire_bytes_ == 0 && buffer_.size() == 0; }
  /// Forgets buffered bytes (the connection was closed).
  void clear() { buffer_.clear(); }

 private:
  using Parser = boost::beast::http::response_parser<boost::beast::http::string_body>;
  std::size_t max_body_bytes_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::size_t wire_bytes_ = 0;
};

}  // namespace brigade::loadtest
