// brigade: responses and JSON text.
#include "api_response.hpp"

#include <charconv>
#include <cmath>

namespace brigade::server {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void append_json_int(std::string& out, long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_json_uint(std::string& out, unsigned long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_json_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
  // Keep it visibly a float for clients that care (e.g. queue_size 45000.0).
  if (std::string_view(buf, end).find_first_of(".eE") == std::string_view::npos) out += ".0";
}

ApiResponse error_response(unsigned status, std::string_view message) {
  return error_response(status, message, reason_for_status(status));
}

ApiResponse error_response(unsigned status, std::string_view message, ErrorReason reason) {
  ApiResponse r;
  r.status = status;
  r.reason = reason;
  r.content_type = "application/json";
  r.audio_metadata = "{\"kill_client\": true, \"message\": ";
  append_json_string(r.audio_metadata, message);
  r.audio_metadata += "}";
  r.body = r.audio_metadata;
  r.body += "\n";
  return r;
}

}  // namespace brigade::server
