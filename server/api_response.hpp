// brigade: a Beast-free description of an HTTP response, and the JSON text helpers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brigade/storage/tar_archive.hpp"
#include "error_reason.hpp"

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
/// and the same JSON as a one-line body.
/// `reason` defaults to the one the status implies (reason_for_status).
ApiResponse error_response(unsigned status, std::string_view message);
ApiResponse error_response(unsigned status, std::string_view message, ErrorReason reason);

/// Appends `s` as a JSON string literal (quotes, escapes; UTF-8 passes through).
void append_json_string(std::string& out, std::string_view s);

/// Appends an integer / a double in JSON form.
void append_json_int(std::string& out, long long v);
void append_json_uint(std::string& out, unsigned long long v);
void append_json_double(std::string& out, double v);

}  // namespace brigade::server
