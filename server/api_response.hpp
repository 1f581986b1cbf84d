// brigade: a Beast-free description of an HTTP response, and the server's errors and exchange
// replies as HTTP responses.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_error.hpp"
#include "brigade/storage/tar_archive.hpp"
#include "error_reason.hpp"
#include "wire/exchange_reply.hpp"

namespace brigade::server {

/// What the router answers; the HTTP session turns it into a Beast response.
struct ApiResponse {
  unsigned status = 200;
  /// Always a string literal or mime_type()'s static text: no allocation per response.
  std::string_view content_type = "application/octet-stream";
  /// Value of X-Audio-Metadata; empty = no such header.
  std::string audio_metadata;
  std::string body;
  /// A static file to stream instead of `body`.
  std::optional<std::filesystem::path> file;
  /// Open `file` only if its last component is not a symlink (O_NOFOLLOW): recordings.
  bool no_symlink = false;
  /// Add the API's CORS headers (Allow-Origin *, Max-Age, Expose-Headers).
  bool cors = true;
  std::vector<std::pair<std::string, std::string>> headers;
  /// An uncompressed tar of these files to stream instead of `body` (see TarStream).
  std::optional<std::vector<TarMember>> archive;
  /// For brigade_errors_total; kNone on success.
  ErrorReason reason = ErrorReason::kNone;
};

/// An error as every client understands it: X-Audio-Metadata {"kill_client": true, "message"},
/// the same JSON as a one-line body, and Retry-After when the error asks clients to wait.
ApiResponse error_response(const ApiError& error);
/// Shorthands: `reason` defaults to the one the status implies (reason_for_status).
ApiResponse error_response(unsigned status, std::string_view message);
ApiResponse error_response(unsigned status, std::string_view message, ErrorReason reason);

/// An exchange or status reply (any transport's typed reply) as an HTTP response: the body as
/// is, its metadata length in X-Audio-Metadata; an error as error_response.
ApiResponse http_response(wire::ExchangeReply&& reply);

}  // namespace brigade::server
