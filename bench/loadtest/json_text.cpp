// brigade-loadtest: JSON text (see json_text.hpp).
#include "json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>

namespace brigade::loadtest {
namespace {

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[64];
  const auto r = std::abs(d) >= 1e-6 && std::abs(d) < 1e15
                     ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                     : std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

void append(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      append_double(out, v.get_double());
      return;
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_object()) {
        if (!first) out += ", ";
        first = false;
        out += boost::json::serialize(boost::json::string(key));
        out += ": ";
        append(out, value);
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& value : v.get_array()) {
        if (!first) out += ", ";
        first = false;
        append(out, value);
      }
      out += ']';
      return;
    }
    default:
      out += boost::json::serialize(v);  // strings, integers, booleans, null
  }
}

}  // namespace

std::string to_json_text(const boost::json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace brigade::loadtest
