// The server's one JSON writer: the original's separators, escapes, doubles that stay doubles,
// nesting, and Boost.JSON documents written in the same style.
#include "wire/json_writer.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <string>

namespace brigade::server::wire {
namespace {

TEST(JsonWriter, WritesThePythonStyleSeparators) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("a").integer(-1).key("b").begin_array().string("x").null().boolean(false);
  w.begin_array().end_array().begin_object().end_object().end_array();
  w.key("c").unsigned_integer(18446744073709551615ull).end_object();
  EXPECT_EQ(out, R"({"a": -1, "b": ["x", null, false, [], {}], "c": 18446744073709551615})");
}

TEST(JsonWriter, EscapesWhatJsonNeedsAndPassesUtf8Through) {
  std::string out;
  JsonWriter(out).string(std::string("q\"b\\n\nr\rt\tc\x01\x7f\xc3\xa9", 15));
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\nr\\rt\\tc\\u0001\\u007f\xc3\xa9\"");
}

TEST(JsonWriter, DoublesStayDoublesAndNonFiniteOnesAreNull) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().number(45000.0).number(0.8).number(1e300).number(-0.5);
  w.number(std::numeric_limits<double>::quiet_NaN()).number(INFINITY).end_array();
  EXPECT_EQ(out, "[45000.0, 0.8, 1e+300, -0.5, null, null]");
}

TEST(JsonWriter, WritesBoostDocumentsInTheSameStyle) {
  const boost::json::value doc = {{"n", 1}, {"list", {1.5, "two", nullptr, true}}};
  EXPECT_EQ(to_json(doc, JsonStyle::kSpaced), R"({"n": 1, "list": [1.5, "two", null, true]})");
  EXPECT_EQ(to_json(doc), R"({"n":1,"list":[1.5,"two",null,true]})");  // documents: compact
  // And nested inside a writer's own output.
  std::string out;
  JsonWriter(out).begin_object().key("doc").value(doc).key("after").integer(2).end_object();
  EXPECT_EQ(out, R"({"doc": {"n": 1, "list": [1.5, "two", null, true]}, "after": 2})");
}

}  // namespace
}  // namespace brigade::server::wire
