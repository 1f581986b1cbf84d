// brigade: the server's one JSON writer. Everything the server writes as JSON text goes through
// here: the exchange metadata, errors, the clock and status replies, health, log lines and the
// documents built with Boost.JSON (telemetry, debug state, listings). It writes the original's
// style, byte for byte: ", " between items and ": " after keys (Python's json.dumps), doubles
// that stay visibly doubles (45000.0), and no allocation beyond the output string's growth.
#pragma once

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace brigade::server::wire {

/// Appends `s` as a JSON string literal (quotes, escapes; UTF-8 passes through).
void append_json_string(std::string& out, std::string_view s);
/// Appends an integer / a double in JSON form (non-finite doubles as null).
void append_json_int(std::string& out, long long v);
void append_json_uint(std::string& out, unsigned long long v);
void append_json_double(std::string& out, double v);

/// How items are separated: the exchange (the original's wire format) and everything answered
/// to the original's clients use kSpaced; the server's own documents (telemetry, listings,
/// debug state, upload replies) have always been compact.
enum class JsonStyle { kSpaced, kCompact };

/// Writes one JSON value into a string, keeping track of separators:
///   JsonWriter w(out);
///   w.begin_object().key("a").integer(1).key("b").begin_array().string("x").end_array();
///   w.end_object();                                 // {"a": 1, "b": ["x"]}
class JsonWriter {
 public:
  /// Deepest nesting written (the exchange metadata nests three levels).
  static constexpr std::size_t kMaxDepth = 32;

  explicit JsonWriter(std::string& out, JsonStyle style = JsonStyle::kSpaced)
      : out_(out),
        comma_(style == JsonStyle::kSpaced ? ", " : ","),
        colon_(style == JsonStyle::kSpaced ? ": " : ":") {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  /// The next member's key (inside an object); its value follows.
  JsonWriter& key(std::string_view k);

  JsonWriter& string(std::string_view v);
  JsonWriter& integer(long long v);
  JsonWriter& unsigned_integer(unsigned long long v);
  /// A double: finite values keep a fraction or exponent (1.0), non-finite ones are null.
  JsonWriter& number(double v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  /// A whole Boost.JSON document, in this writer's style.
  JsonWriter& value(const boost::json::value& v);

 private:
  /// Writes ", " before every item of an array or object but the first.
  void item();

  std::string& out_;
  const std::string_view comma_, colon_;
  std::array<bool, kMaxDepth> first_{};
  std::size_t depth_ = 0;
  bool after_key_ = false;
};

/// A Boost.JSON document as text (the server's documents: compact).
std::string to_json(const boost::json::value& v, JsonStyle style = JsonStyle::kCompact);

}  // namespace brigade::server::wire
