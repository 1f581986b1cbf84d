// brigade client: a small blocking HTTP/1.1 keep-alive client for tests and the load tester.
// Beast stays in the .cpp: including it costs ~25 s of compile time per file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brigade::client {

/// A transport failure: connect, write, read or timeout. HTTP error statuses are not errors.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One response, fully read.
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< in order received
  std::string body;
  bool keep_alive = false;  ///< the server will keep the connection open

  /// Value of the first header named `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
  /// Whether a header named `name` is present.
  bool has_header(std::string_view name) const;
};

/// A single connection to host:port, reopened transparently when the server closed it.
/// Not thread-safe: one client per thread.
class HttpClient {
 public:
  /// Default deadline for one whole request/response round trip.
  static constexpr std::chrono::milliseconds kDefaultTimeout{10'000};

  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = kDefaultTimeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// GET target (path and query, used verbatim).
  HttpResponse get(std::string_view target);
  /// POST target with `body` (Content-Type application/octet-stream).
  HttpResponse post(std::string_view target, std::string_view body);
  /// Any method, e.g. "PUT", "DELETE", "OPTIONS".
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body);

  /// Sends `raw` bytes as-is on a fresh connection and reads one response (for malformed
  /// requests). Throws HttpError if the server closes without answering.
  HttpResponse raw(std::string_view raw_request);

  /// Closes the connection; the next request opens a new one.
  void close();

  /// Connections opened so far (keep-alive tests check it stays at 1).
  int connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brigade::client
