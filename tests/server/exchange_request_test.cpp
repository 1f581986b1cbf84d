// The exchange parameters at their extremes: every number from the wire is range-checked before
// any arithmetic, and a value out of range is refused with a message naming the parameter.
#include "wire/exchange_request.hpp"

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
  MaybeError error;
  ExchangeRequest request;
  std::size_t json_len = 0;
};

Parsed parse(const std::string& query_text) {
  Query q;
  Parsed p;
  EXPECT_FALSE(q.parse(query_text)) << query_text;
  p.error = wire::decode_query(q, p.request, p.json_len);
  return p;
}

/// Refused, with a message that names `param`.
void expect_refused(const std::string& query_text, const std::string& param) {
  const Parsed p = parse(query_text);
  ASSERT_TRUE(p.error) << query_text;
  EXPECT_NE(p.error->message.find(param), std::string::npos) << p.error->message;
  EXPECT_EQ(p.error->status, 400u);
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
  EXPECT_FALSE(parse("userid=7&n_samples=2880&read_clock=0").error);
  const Parsed top = parse("userid=7&n_samples=2880&read_clock=9007199254740992");
  EXPECT_FALSE(top.error);
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
  EXPECT_FALSE(edge.error);
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
  EXPECT_FALSE(top.error);
  EXPECT_EQ(top.request.user_id, UINT64_MAX);
}

// Volumes: what is not a finite number is refused; a finite number outside 0..3 is clamped
// (the original accepted any number) and the adjustment reported.
TEST(ApiRequest, VolumesMustBeFiniteAndAreClampedIntoRange) {
  for (const char* param : {"volume", "backing_volume", "user_backing_volume"}) {
    for (const auto& v : kExtremeNumbers) {
      SCOPED_TRACE(std::string(param) + "=" + v);
      Query q;
      ASSERT_FALSE(q.parse(with(kBase, param, v)));
      ExchangeRequest req;
      std::size_t json_len = 0;
      Adjustments adjusted;
      const MaybeError error = wire::decode_query(q, req, json_len, &adjusted);
      if (error) {
        EXPECT_NE(error->message.find(param), std::string::npos) << error->message;
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
    EXPECT_FALSE(edge.error) << param;
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
  ASSERT_FALSE(ok.error);
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
  ASSERT_FALSE(ok.error);
  ASSERT_EQ(ok.request.controls.event_data.size(), 2u);
  EXPECT_EQ(ok.request.controls.event_data[1].clock, kMaxClock);
}

TEST(ApiRequest, JsonPrefixLengthIsCheckedAgainstTheBody) {
  const AdminToken open("");
  wire::DecodedRequest r;
  const std::string query = "userid=7&read_clock=86400000000000&json_len=16";
  const MaybeError short_body = wire::decode_request(query, "{}", {}, open, r);
  ASSERT_TRUE(short_body);
  EXPECT_EQ(short_body->message, "body is shorter than json_len");
  const std::string audio =
      std::string("\x01\x00\x01\x18", 4);  // one 60 ms SILK packet (TOC config 3)
  const std::string body = std::string(R"({"lyrics": "la"})") + audio;
  ASSERT_EQ(body.size(), 20u);
  ASSERT_FALSE(wire::decode_request(query, body, {}, open, r));
  EXPECT_EQ(r.exchange.controls.lyrics, "la");
  ASSERT_EQ(r.packets.count, 1u);
  EXPECT_EQ(r.packets.packets[0].data(),
            reinterpret_cast<const std::uint8_t*>(body.data()) + 16 + 3);  // a view, no copy
  EXPECT_EQ(r.exchange.n_samples, kOpusFrameSamples);  // settled from the packet's header
}

// ---- wire::decode_request: the whole decode, every refusal it can give ----

/// An Opus packet of `samples` (60 ms: SILK NB, TOC config 3; 20 ms: CELT NB, config 19) as
/// far as its table-of-contents byte tells; the decode never runs a decoder.
std::string packet(int samples) {
  return samples == 2880 ? std::string("\x18\x01", 2) : std::string("\x98\x01", 2);
}

/// A container of `packets`.
std::string container(const std::vector<std::string>& packets) {
  std::string out(1, static_cast<char>(packets.size()));
  for (const auto& p : packets) {
    out.push_back(static_cast<char>(p.size() >> 8));
    out.push_back(static_cast<char>(p.size() & 0xff));
    out += p;
  }
  return out;
}

struct Refusal {
  std::string query;
  std::string body;
  std::string message;
  ErrorReason reason = ErrorReason::kBadRequest;
};

TEST(WireDecode, EveryRefusalIsA400WithItsMessageAndReason) {
  const std::string base = "userid=7&read_clock=86400000000000";
  const std::string one = container({packet(2880)});
  std::string many_fields = "a0=1";
  for (std::size_t i = 1; i <= kMaxQueryParams; ++i) many_fields += "&a" + std::to_string(i) + "=1";
  std::string nine_lines = "%5B%22x%22";
  for (int i = 1; i < 9; ++i) nine_lines += "%2C%22x%22";
  std::string seventeen_events = "%5B";
  for (int i = 0; i < 17; ++i) {
    seventeen_events +=
        (i ? "%2C" : "") + std::string("%7B%22evid%22%3A%22e%22%2C%22clock%22%3A1%7D");
  }
  const std::vector<Refusal> refusals = {
      {many_fields, "", "malformed query: too many fields"},
      {"a=1&&b=2", "", "malformed query: empty field"},
      {"a", "", "malformed query: field without '='"},
      {"a=%zz", "", "malformed query: bad percent escape"},
      {"a=1&a=2", "", "malformed query: duplicate parameter"},
      {"action=dance", "", "unknown action"},
      {"action=status&userid=7", "", "action=status takes no userid"},
      {"read_clock=1&n_samples=2880", "", "userid is required"},
      {"userid=x&read_clock=1", "", "userid must be a decimal 64-bit integer"},
      {"userid=7&n_samples=2880", "", "read_clock is required"},
      {"userid=7&read_clock=-1", "", "read_clock must be an integer from 0 to 9007199254740992"},
      {base + "&write_clock=x", "", "write_clock must be an integer from 0 to 9007199254740992"},
      {base + "&n_samples=147000", "", "n_samples must be an integer from 0 to 144000"},
      {base + "&n_samples=100", "", "n_samples must be a multiple of 2880 (60 ms Opus frames)"},
      {base + "&json_len=70000", "", "json_len must be an integer from 0 to 65536"},
      {base + "&username=%FF", one, "username must be UTF-8"},
      {base + "&user_summary_version=-1", one,
       "user_summary_version must be a non-negative integer"},
      {base + "&user_backing_volume=x", one, "user_backing_volume must be a number"},
      {base + "&volume=x", one, "volume must be a number"},
      {base + "&backing_volume=nan", one, "backing_volume must be a number"},
      {base + "&bpm=1001", one, "bpm must be an integer 0-1000"},
      {base + "&repeats=101", one, "repeats must be an integer 0-100"},
      {base + "&bpr=-1", one, "bpr must be an integer 0-1000"},
      {base + "&track=%FF", one, "bad track name"},
      {base + "&monitor=x", one, "monitor must be a userid"},
      {base + "&hand_lead=x", one, "hand_lead must be a userid"},
      {base + "&unmonitor=x", one, "unmonitor must be a userid"},
      {base + "&chat=%FF", one, "chat must be UTF-8"},
      {base + "&chat=%7B%7D", one, "chat must be a JSON array of strings"},
      {base + "&mic_volume=1", one, "mic_volume must be a JSON array of [userid, number]"},
      {base + "&mic_volume=%5B%5B%227%22%2C3%5D%5D", one, "mic_volume levels must be from 0 to 2"},
      {base + "&event_data=%5B1%5D", one,
       "event_data elements must be objects with evid and clock"},
      {base + "&json_len=4", "{}", "body is shorter than json_len"},
      {base + "&json_len=2", "[]" + one, "the JSON prefix must be a JSON object"},
      {base + "&json_len=13", R"({"lyrics": 1})" + one, "lyrics must be a string"},
      {base, "", "n_samples is required when no audio is sent"},
      {base, "\x01", "truncated Opus container", ErrorReason::kBadAudio},
      {base, one + "x", "bytes after the last Opus packet", ErrorReason::kBadAudio},
      {base, std::string("\x01\x00\x00", 3), "zero-length Opus packet", ErrorReason::kBadAudio},
      {base, container({std::string("\x03", 1)}), "bad Opus packet: corrupted stream",
       ErrorReason::kBadAudio},
      {base, container(std::vector<std::string>(51, packet(2880))), "upload longer than 3 s",
       ErrorReason::kBadAudio},
      {base + "&n_samples=5760", one, "n_samples differs from the decoded audio length",
       ErrorReason::kBadAudio},
      {base, container({packet(960)}), "uploaded audio is not a whole number of 60 ms frames",
       ErrorReason::kBadAudio},
      {base, container({}), "uploaded audio is not a whole number of 60 ms frames",
       ErrorReason::kBadAudio},
  };
  const AdminToken open("");
  wire::DecodedRequest out;
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.query + " | " + r.message);
    const MaybeError e = wire::decode_request(r.query, r.body, {}, open, out);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, 400u);
    EXPECT_EQ(e->message, r.message);
    EXPECT_EQ(e->reason, r.reason);
    EXPECT_EQ(e->retry_after_seconds, 0);
  }
}

TEST(WireDecode, NSamplesIsSettledOnceFromTheQueryOrTheAudio) {
  const AdminToken open("");
  wire::DecodedRequest out;
  const std::string base = "userid=7&read_clock=86400000000000";
  // Silence: the query's n_samples, no packets.
  ASSERT_FALSE(wire::decode_request(base + "&n_samples=5760", "", {}, open, out));
  EXPECT_EQ(out.exchange.n_samples, 5760);
  EXPECT_FALSE(out.has_audio());
  // Audio without n_samples: the packets' length (two 60 ms packets, three 20 ms ones).
  const std::string body = container({packet(2880), packet(960), packet(960), packet(960)});
  ASSERT_FALSE(wire::decode_request(base, body, {}, open, out));
  EXPECT_EQ(out.exchange.n_samples, 5760);
  EXPECT_EQ(out.packets.count, 4u);
  // Both, agreeing.
  ASSERT_FALSE(wire::decode_request(base + "&n_samples=5760", body, {}, open, out));
  EXPECT_EQ(out.exchange.n_samples, 5760);
}

TEST(WireDecode, CredentialsDecideAdminAndTheSessionToken) {
  const AdminToken token("s3cret");
  wire::DecodedRequest out;
  const std::string base = "userid=7&read_clock=86400000000000&n_samples=2880";
  ASSERT_FALSE(wire::decode_request(base, "", {}, token, out));
  EXPECT_FALSE(out.exchange.admin);
  EXPECT_FALSE(out.exchange.holds_admin_token);
  EXPECT_FALSE(out.session_token);
  ASSERT_FALSE(
      wire::decode_request(base + "&admin_token=s3cret&session_token=q", "", {}, token, out));
  EXPECT_TRUE(out.exchange.admin);
  EXPECT_TRUE(out.exchange.holds_admin_token);
  EXPECT_EQ(out.session_token, "q");
  // The header carries them as well; its session token wins over the query's.
  ASSERT_FALSE(wire::decode_request(base + "&admin_token=wrong&session_token=q", "",
                                    {.admin_token = "s3cret", .session_token = "h"}, token, out));
  EXPECT_TRUE(out.exchange.admin);
  EXPECT_EQ(out.session_token, "h");
  // Without a server token everyone is admin, and nobody holds the token.
  ASSERT_FALSE(wire::decode_request(base, "", {}, AdminToken(""), out));
  EXPECT_TRUE(out.exchange.admin);
  EXPECT_FALSE(out.exchange.holds_admin_token);
}

TEST(WireDecode, ActionStatusIsItsOwnKindAndAReusedRequestForgetsThePrevious) {
  const AdminToken open("");
  wire::DecodedRequest out;
  ASSERT_FALSE(wire::decode_request("action=status", "", {}, open, out));
  EXPECT_EQ(out.kind, wire::RequestKind::kStatus);
  const std::string full =
      "userid=7&read_clock=86400000000000&n_samples=2880&volume=9&track=t&chat=%5B%22x%22%5D"
      "&write_clock=5&monitor=3";
  ASSERT_FALSE(wire::decode_request(full, "", {}, open, out));
  EXPECT_EQ(out.kind, wire::RequestKind::kExchange);
  EXPECT_EQ(out.adjusted.size(), 1u);  // volume 9 clamped to 3
  ASSERT_FALSE(wire::decode_request("userid=8&read_clock=1&n_samples=2880", "", {}, open, out));
  const ExchangeRequest& r = out.exchange;
  EXPECT_EQ(r.user_id, 8u);
  EXPECT_FALSE(r.write_clock || r.controls.volume || r.controls.track || r.controls.monitor);
  EXPECT_TRUE(r.controls.chat.empty());
  EXPECT_TRUE(out.adjusted.empty());
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
