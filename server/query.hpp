// brigade: strict application/x-www-form-urlencoded query parsing, without allocation.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "api_error.hpp"

namespace brigade::server {

/// Most parameters one request may carry (the browser sends about a dozen).
inline constexpr std::size_t kMaxQueryParams = 64;

/// A parsed query: percent-decoded, '+' as space, keys unique. Views point into the Query's
/// own buffer, which keeps its capacity across parses (one Query per thread).
class Query {
 public:
  /// Parses `raw` (the part after '?'). Returns what is malformed (400), or nothing.
  /// Strict as the original: an empty field ("a=1&&b=2"), a field without '=', a duplicate
  /// key, a bad percent escape or too many fields are errors. Empty values count as absent.
  MaybeError parse(std::string_view raw);

  /// The value of `key`, if present with a non-empty value.
  std::optional<std::string_view> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  std::size_t size() const { return count_; }

 private:
  struct Field {
    std::size_t key_begin, key_end, value_begin, value_end;
  };
  std::string buffer_;
  std::array<Field, kMaxQueryParams> fields_{};
  std::size_t count_ = 0;
};

/// Percent-decodes `in` appending to out; false on a malformed escape. Form encoding (query
/// strings) also turns '+' into a space; URL paths keep '+'.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);
inline bool form_decode(std::string_view in, std::string& out) {
  return percent_decode(in, out, true);
}

/// True when `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace brigade::server
