// brigade: query parsing.
#include "query.hpp"

namespace brigade::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

MaybeError Query::parse(std::string_view raw) {
  buffer_.clear();
  count_ = 0;
  if (raw.empty()) return std::nullopt;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    const std::size_t amp = raw.find('&', pos);
    const std::string_view field =
        raw.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (field.empty()) return ApiError::bad_request("malformed query: empty field");
    const std::size_t eq = field.find('=');
    if (eq == std::string_view::npos)
      return ApiError::bad_request("malformed query: field without '='");
    if (count_ == kMaxQueryParams) return ApiError::bad_request("malformed query: too many fields");
    Field f{};
    f.key_begin = buffer_.size();
    if (!form_decode(field.substr(0, eq), buffer_))
      return ApiError::bad_request("malformed query: bad percent escape");
    f.key_end = f.value_begin = buffer_.size();
    if (!form_decode(field.substr(eq + 1), buffer_))
      return ApiError::bad_request("malformed query: bad percent escape");
    f.value_end = buffer_.size();
    const std::string_view key(buffer_.data() + f.key_begin, f.key_end - f.key_begin);
    for (std::size_t i = 0; i < count_; ++i) {
      const Field& g = fields_[i];
      if (std::string_view(buffer_.data() + g.key_begin, g.key_end - g.key_begin) == key) {
        return ApiError::bad_request("malformed query: duplicate parameter");
      }
    }
    fields_[count_++] = f;
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return std::nullopt;
}

std::optional<std::string_view> Query::get(std::string_view key) const {
  for (std::size_t i = 0; i < count_; ++i) {
    const Field& f = fields_[i];
    if (std::string_view(buffer_.data() + f.key_begin, f.key_end - f.key_begin) == key) {
      if (f.value_end == f.value_begin) return std::nullopt;
      return std::string_view(buffer_.data() + f.value_begin, f.value_end - f.value_begin);
    }
  }
  return std::nullopt;
}

}  // namespace brigade::server
