#include "log.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <vector>

namespace brigade::server {
namespace {

namespace json = boost::json;

/// 2026-11-29T03:04:05.678Z
std::chrono::system_clock::time_point sample_time() {
  return std::chrono::system_clock::time_point{} + std::chrono::milliseconds(1'795'921'445'678);
}

TEST(LogFormat, TextIsTimestampLevelEventAndKeyValuePairs) {
  const std::vector<LogField> fields = {
      {"id", std::uint64_t{7}},
      {"name", "Ada Lovelace"},
      {"word", "plain"},
      {"n", -3},
      {"ok", true},
      {"s", 1.5},
      {"empty", ""},
      {"quote", "a \"b\" = c"},
  };
  EXPECT_EQ(
      format_log_line(LogFormat::kText, sample_time(), LogLevel::kInfo, "singer_joined", fields),
      "2026-11-29T03:04:05.678Z info singer_joined id=7 name=\"Ada Lovelace\" word=plain "
      "n=-3 ok=true s=1.5 empty=\"\" quote=\"a \\\"b\\\" = c\"");
}

TEST(LogFormat, JsonIsOneObjectWithTsLevelEventAndTheFields) {
  const std::vector<LogField> fields = {
      {"id", std::uint64_t{18'446'744'073'709'551'615u}},
      {"name", "Zoë \"Z\"\n"},
      {"seconds", 2.5},
      {"draining", false},
  };
  const std::string line =
      format_log_line(LogFormat::kJson, sample_time(), LogLevel::kWarn, "limit_hit", fields);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
  const json::object o = json::parse(line).as_object();
  EXPECT_EQ(o.size(), 7u);
  EXPECT_EQ(o.at("ts").as_string(), "2026-11-29T03:04:05.678Z");
  EXPECT_EQ(o.at("level").as_string(), "warn");
  EXPECT_EQ(o.at("event").as_string(), "limit_hit");
  EXPECT_EQ(o.at("id").as_uint64(), 18'446'744'073'709'551'615u);
  EXPECT_EQ(o.at("name").as_string(), "Zoë \"Z\"\n");
  EXPECT_EQ(o.at("seconds").as_double(), 2.5);
  EXPECT_EQ(o.at("draining").as_bool(), false);
}

TEST(LogFormat, LevelAndFormatNamesAreChecked) {
  EXPECT_TRUE(set_log_format("json"));
  EXPECT_TRUE(set_log_format("text"));
  EXPECT_FALSE(set_log_format("xml"));
  EXPECT_TRUE(set_log_level("debug"));
  EXPECT_TRUE(log_enabled(LogLevel::kDebug));
  EXPECT_TRUE(set_log_level("warn"));
  EXPECT_FALSE(log_enabled(LogLevel::kInfo));
  EXPECT_TRUE(log_enabled(LogLevel::kError));
  EXPECT_FALSE(set_log_level("verbose"));
}

}  // namespace
}  // namespace brigade::server
