// The exchange parameters at their extremes: every number from the wire is range-checked before
// any arithmetic, and a value out of range is refused with a message naming the parameter.
#include "api_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admin_token.hpp"
#include "query.hpp"

namespace brigade::server {
namespace {

constexpr const char* kBase = "userid=7&read_clock=86400000000000&n_samples=2880";

/// The values no integer parameter may take (or must refuse when outside its range).
const std::vector<std::string> kExtremeIntegers = {"-9223372036854775808",
                                                   "9223372036854775807",
                                                   "-9223372036854775809",
                                                   "9223372036854775808",
                                                   "-1",
                                                   "99999999999999999999999999999999999999",
                                                   "1e3",
                                                   "nan",
                                                   "inf",
                                                   "-inf",
                                                   "1.5",
                                                   "+1",
                                                   " 1",
                                                   "0x10",
                                                   "1e300"};

/// Non-finite and huge decimal values for number parameters.
const std::vector<std::string> kExtremeNumbers = {"nan",
                                                  "NaN",
                                                  "inf",
                                                  "-inf",
                                                  "infinity",
                                                  "1e300",
                                                  "-1e300",
                                                  "1e400",
                                                  "-0.5",
                                                  "3.0000001",
                                                  "9223372036854775808",
                                                  "-1"};

struct Parsed {
  const char* error = nullptr;
  ExchangeRequest request;
  std::size_t json_len = 0;
};

Parsed parse(const std::string& query_text) {
  Query q;
  Parsed p;
  const char* e = q.parse(query_text);
  EXPECT_EQ(e, nullptr) << query_text;
  p.error = parse_exchange(q, p.request, p.json_len);
  return p;
}

/// Refused, with a message that names `param`.
void expect_refused(const std::string& query_text, const std::string& param) {
  const Parsed p = parse(query_text);
  ASSERT_NE(p.error, nullptr) << query_text;
  EXPECT_NE(std::string(p.error).find(param), std::string::npos) << p.error;
}

std::string with(const std::string& base, const std::string& param, const std::string& value) {
  std::string encoded;
  for (char c : value) encoded += c == '+' ? std::string("%2B") : std::string(1, c);
  for (auto& c : encoded) c = c == ' ' ? '+' : c;
  return base + "&" + param + "=" + encoded;
}

TEST(ApiRequest, ClocksAtTheExtremesAreRefused) {
  for (const auto& v : kExtremeIntegers) {
    SCOPED_TRACE(v);
    expect_refused(with("userid=7&n_samples=2880", "read_clock", v), "read_clock");
    expect_refused(with(kBase, "write_clock", v), "write_clock");
  }
  // The bounds themselves parse; one past them does not.
  EXPECT_EQ(parse("userid=7&n_samples=2880&read_clock=0").error, nullptr);
  const Parsed top = parse("userid=7&n_samples=2880&read_clock=9007199254740992");
  EXPECT_EQ(top.error, nullptr);
  EXPECT_EQ(top.request.read_clock, kMaxClock);
  expect_refused("userid=7&n_samples=2880&read_clock=9007199254740993", "read_clock");
  expect_refused(std::string(kBase) + "&write_clock=9007199254740993", "write_clock");
}

TEST(ApiRequest, SizesAndCountsAtTheExtremesAreRefused) {
  const std::string base = "userid=7&read_clock=86400000000000";
  for (const auto& v : kExtremeIntegers) {
    SCOPED_TRACE(v);
    expect_refused(with(base, "n_samples", v), "n_samples");
    expect_refused(with(kBase, "json_len", v), "json_len");
    expect_refused(with(kBase, "bpm", v), "bpm");
    expect_refused(with(kBase, "repeats", v), "repeats");
    expect_refused(with(kBase, "bpr", v), "bpr");
  }
  expect_refused(base + "&n_samples=146880", "n_samples");  // 51 frames: beyond 3 s
  expect_refused(std::string(kBase) + "&json_len=65537", "json_len");
  expect_refused(std::string(kBase) + "&bpm=1001", "bpm");
  expect_refused(std::string(kBase) + "&repeats=101", "repeats");
  expect_refused(std::string(kBase) + "&bpr=1001", "bpr");
  const Parsed edge = parse(std::string(kBase) + "&json_len=65536&bpm=1000&repeats=100&bpr=1000");
  EXPECT_EQ(edge.error, nullptr);
  EXPECT_EQ(edge.json_len, kMaxJsonPrefixBytes);
  EXPECT_EQ(parse(base + "&n_samples=144000").request.n_samples, kMaxExchangeSamples);
}

TEST(ApiRequest, UserIdsAtTheExtremesAreRefusedOrExact) {
  for (const char* param : {"monitor", "unmonitor"}) {
    for (const auto& v : kExtremeIntegers) {
      if (v == "9223372036854775807" || v == "9223372036854775808") continue;  // valid ids
      SCOPED_TRACE(v);
      expect_refused(with(kBase, param, v), param);
    }
  }
  expect_refused("userid=18446744073709551616&read_clock=1&n_samples=2880", "userid");
  expect_refused("userid=-1&read_clock=1&n_samples=2880", "userid");
  const Parsed top = parse("userid=18446744073709551615&read_clock=1&n_samples=2880");
  EXPECT_EQ(top.error, nullptr);
  EXPECT_EQ(top.request.user_id, UINT64_MAX);
}

// Volumes: what is not a finite number is refused; a finite number outside 0..3 is clamped
// (the original accepted any number) and the adjustment reported.
TEST(ApiRequest, VolumesMustBeFiniteAndAreClampedIntoRange) {
  for (const char* param : {"volume", "backing_volume", "user_backing_volume"}) {
    for (const auto& v : kExtremeNumbers) {
      SCOPED_TRACE(std::string(param) + "=" + v);
      Query q;
      ASSERT_EQ(q.parse(with(kBase, param, v)), nullptr);
      ExchangeRequest req;
      std::size_t json_len = 0;
      Adjustments adjusted;
      const char* error = parse_exchange(q, req, json_len, &adjusted);
      if (error) {
        EXPECT_NE(std::string(error).find(param), std::string::npos) << error;
        continue;
      }
      const std::optional<double> value = std::string(param) == "volume" ? req.controls.volume
                                          : std::string(param) == "backing_volume"
                                              ? req.controls.backing_volume
                                              : req.user_backing_volume;
      ASSERT_TRUE(value.has_value());
      EXPECT_GE(*value, 0.0);
      EXPECT_LE(*value, 3.0);
      ASSERT_EQ(adjusted.size(), 1u);
      EXPECT_EQ(adjusted[0].param, param);
    }
    for (const char* bad : {"nan", "inf", "-inf", "1e400", "x"}) {
      SCOPED_TRACE(std::string(param) + "=" + bad);
      expect_refused(with(kBase, param, bad), param);
    }
    const Parsed edge = parse(std::string(kBase) + "&" + param + "=3");
    EXPECT_EQ(edge.error, nullptr) << param;
  }
}

TEST(ApiRequest, MicVolumeLevelsMustBeFiniteAndInRange) {
  for (const char* level : {"1e300", "-1e300", "1e400", "-0.001", "2.0001", "-1",
                            "18446744073709551616", "-9223372036854775809"}) {
    SCOPED_TRACE(level);
    expect_refused(with(kBase, "mic_volume", std::string("[[\"7\",") + level + "]]"), "mic_volume");
  }
  for (const char* id : {"\"-1\"", "\"18446744073709551616\"", "7", "\"1e3\""}) {
    SCOPED_TRACE(id);
    expect_refused(with(kBase, "mic_volume", std::string("[[") + id + ",1]]"), "mic_volume");
  }
  const Parsed ok = parse(with(kBase, "mic_volume", "[[\"7\",0],[\"8\",2]]"));
  ASSERT_EQ(ok.error, nullptr);
  EXPECT_EQ(ok.request.controls.mic_volume.size(), 2u);
}

TEST(ApiRequest, EventClocksAreCheckedBeforeTheyAreConverted) {
  // 1e300, -1 or 2^53+2 as an int64 would be undefined or wrong: all are refused.
  for (const char* clock :
       {"1e300", "-1e300", "-1", "-0.5", "9007199254740994", "9223372036854775807",
        "18446744073709551615", "-9223372036854775808", "1e19"}) {
    SCOPED_TRACE(clock);
    expect_refused(
        with(kBase, "event_data", std::string("[{\"evid\":\"x\",\"clock\":") + clock + "}]"),
        "event");
  }
  const Parsed ok = parse(with(kBase, "event_data",
                               "[{\"evid\":\"a\",\"clock\":0},"
                               "{\"evid\":\"b\",\"clock\":9007199254740992}]"));
  ASSERT_EQ(ok.error, nullptr);
  ASSERT_EQ(ok.request.controls.event_data.size(), 2u);
  EXPECT_EQ(ok.request.controls.event_data[1].clock, kMaxClock);
}

TEST(ApiRequest, JsonPrefixLengthIsCheckedAgainstTheBody) {
  Query q;
  ASSERT_EQ(q.parse(std::string(kBase) + "&json_len=16"), nullptr);
  ExchangeRequest r;
  std::string_view audio;
  EXPECT_NE(decode_exchange(q, "{}", r, audio), nullptr);  // shorter than json_len
  const std::string body = std::string(R"({"lyrics": "la"})") + std::string("\x01\x00\x01\x7f", 4);
  ASSERT_EQ(body.size(), 20u);
  ASSERT_EQ(decode_exchange(q, body, r, audio), nullptr);
  EXPECT_EQ(r.controls.lyrics, "la");
  EXPECT_EQ(audio, std::string_view(body).substr(16));
}

TEST(AdminToken, MatchesOnlyTheExactToken) {
  const AdminToken token("open sesame");
  EXPECT_FALSE(token.open());
  EXPECT_TRUE(token.matches("open sesame"));
  for (const char* wrong :
       {"", "open", "open sesam", "open sesame!", "open sesamE", "x", "open sesameopen sesame"}) {
    EXPECT_FALSE(token.matches(wrong)) << wrong;
  }
  EXPECT_FALSE(token.matches(std::string(100'000, 'a')));
  EXPECT_FALSE(token.matches(std::string("open sesame\0", 12)));
}

TEST(AdminToken, EitherPlaceMayCarryItAndAWrongOneNeverOverridesARightOne) {
  const AdminToken token("t0ken");
  EXPECT_TRUE(token.matches_any("t0ken", ""));
  EXPECT_TRUE(token.matches_any(std::nullopt, "t0ken"));
  EXPECT_TRUE(token.matches_any("wrong", "t0ken"));  // the issue's case: query must not win
  EXPECT_TRUE(token.matches_any("t0ken", "wrong"));
  EXPECT_FALSE(token.matches_any("wrong", "wrong"));
  EXPECT_FALSE(token.matches_any(std::nullopt, ""));
  EXPECT_FALSE(token.matches_any("", ""));
}

TEST(AdminToken, NoTokenMeansOpen) {
  const AdminToken none("");
  EXPECT_TRUE(none.open());
  EXPECT_TRUE(none.matches("anything"));
  EXPECT_TRUE(none.matches_any(std::nullopt, ""));
}

}  // namespace
}  // namespace brigade::server
