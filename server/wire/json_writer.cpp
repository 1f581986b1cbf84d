// brigade: JSON text.
#include "wire/json_writer.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace brigade::server::wire {

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

void JsonWriter::item() {
  if (after_key_) {
    after_key_ = false;  // the value of a key: the key wrote the separator
    return;
  }
  if (depth_ == 0) return;
  if (!first_[depth_ - 1]) out_ += comma_;
  first_[depth_ - 1] = false;
}

JsonWriter& JsonWriter::begin_object() {
  item();
  out_.push_back('{');
  first_[depth_++] = true;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  --depth_;
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  item();
  out_.push_back('[');
  first_[depth_++] = true;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  --depth_;
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  item();
  append_json_string(out_, k);
  out_ += colon_;
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
  item();
  append_json_string(out_, v);
  return *this;
}

JsonWriter& JsonWriter::integer(long long v) {
  item();
  append_json_int(out_, v);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(unsigned long long v) {
  item();
  append_json_uint(out_, v);
  return *this;
}

JsonWriter& JsonWriter::number(double v) {
  item();
  append_json_double(out_, v);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
  item();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  item();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return null();
    case boost::json::kind::bool_:
      return boolean(v.get_bool());
    case boost::json::kind::int64:
      return integer(v.get_int64());
    case boost::json::kind::uint64:
      return unsigned_integer(v.get_uint64());
    case boost::json::kind::double_:
      return number(v.get_double());
    case boost::json::kind::string:
      return string(v.get_string());
    case boost::json::kind::array:
      begin_array();
      for (const auto& e : v.get_array()) value(e);
      return end_array();
    case boost::json::kind::object:
      begin_object();
      for (const auto& [k, e] : v.get_object()) key(k).value(e);
      return end_object();
  }
  return *this;
}

std::string to_json(const boost::json::value& v, JsonStyle style) {
  std::string out;
  JsonWriter(out, style).value(v);
  return out;
}

}  // namespace brigade::server::wire
