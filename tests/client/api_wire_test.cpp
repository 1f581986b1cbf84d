// Tests of the client's wire format against hand-built bytes and the engine's own encoders.
#include "client/api_wire.hpp"

#include <gtest/gtest.h>

#include <random>

#include "brigade/codec/packet_container.hpp"
#include "brigade/engine/user_summary.hpp"
#include "wire/user_summary.hpp"

namespace brigade::client {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// A 51-byte summary record written field by field, independently of the parser.
std::string record(std::uint64_t id, std::string_view name, float mic, float rms,
                   std::uint16_t delay, std::uint8_t flags) {
  std::string r;
  put_u64(r, id);
  std::string padded(name.substr(0, 32));
  padded.resize(32, '\0');
  r += padded;
  put_f32(r, mic);
  put_f32(r, rms);
  put_u16(r, delay);
  r.push_back(static_cast<char>(flags));
  return r;
}

/// A well-formed reply body: metadata JSON, a 2-record summary, a 2-packet container.
struct HandBuiltReply {
  std::string header;
  std::string body;
};

HandBuiltReply make_reply() {
  const std::string meta =
      R"({"server_clock":81600000100000,"client_read_clock":81600000028800,)"
      R"("n_samples":5760,"song_start_clock":81599999000000,"song_end_clock":null,)"
      R"("leader":"48213377120","delay_seconds":6,"first_bucket":3,"chats":[["Ann","hé"]]})";
  std::string body = meta;
  put_u16(body, 2);
  body += record(48213377120ull, "Ann Lee", 1.0f, 0.25f, 3, 0x00);
  body += record(18446744073709551615ull, std::string(40, 'x'), 2.0f, 0.0f, 65535, 0x03);
  body.push_back(2);
  put_u16(body, 3);
  body += "\x01\x02\x03";
  put_u16(body, 1);
  body += "\xff";
  return {R"({"metadata_len": )" + std::to_string(meta.size()) + "}", body};
}

TEST(FormEncode, MatchesUrlSearchParams) {
  EXPECT_EQ(form_encode("Ann Lee"), "Ann+Lee");
  EXPECT_EQ(form_encode("azAZ09*-._"), "azAZ09*-._");
  EXPECT_EQ(form_encode("~!'()+&=%/?"), "%7E%21%27%28%29%2B%26%3D%25%2F%3F");
  EXPECT_EQ(form_encode("é"), "%C3%A9");
  EXPECT_EQ(form_encode(R"(["hi & bye"])"), "%5B%22hi+%26+bye%22%5D");
  EXPECT_EQ(form_encode(std::string("a\0b", 3)), "a%00b");
}

TEST(BuildQuery, EncodesNamesAndValues) {
  const std::vector<QueryParam> params = {{"a b", "c&d"}, {"e", ""}};
  EXPECT_EQ(build_query(params), "a+b=c%26d&e=");
}

TEST(ExchangeQuery, MinimalRequestHasOnlyRequiredFields) {
  ExchangeParams p;
  p.userid = 42;
  p.read_clock = 81600000028800;
  EXPECT_EQ(exchange_query(p), "userid=42&read_clock=81600000028800");
}

TEST(ExchangeQuery, AllTypedFieldsInFixedOrder) {
  ExchangeParams p;
  p.userid = 48213377120;
  p.read_clock = 100;
  p.write_clock = 50;
  p.n_samples = 28800;
  p.username = "Ann Lee";
  p.reset_user_state = true;
  p.user_summary = true;
  p.request_lead = true;
  p.mark_start_singing = true;
  p.mark_stop_singing = true;
  p.spectator = true;
  p.muted = true;
  p.chat_json = R"(["hi"])";
  p.mic_volume_json = R"([["1",1.5]])";
  p.bpm = 120;
  p.repeats = 2;
  p.bpr = 4;
  p.volume = 1.0;
  p.disable_auto_gain = false;
  p.extra = {{"x", "y z"}};
  EXPECT_EQ(exchange_query(p),
            "userid=48213377120&read_clock=100&write_clock=50&n_samples=28800&username=Ann+Lee"
            "&reset_user_state=true&user_summary=1&request_lead=1&mark_start_singing=1"
            "&mark_stop_singing=1&spectator=1&muted=1&chat=%5B%22hi%22%5D"
            "&mic_volume=%5B%5B%221%22%2C1.5%5D%5D&bpm=120&repeats=2&bpr=4&volume=1"
            "&disableAutoGain=0&x=y+z");
  EXPECT_EQ(exchange_target(p, "/api").substr(0, 12), "/api?userid=");
}

TEST(ExchangeQuery, FalseFlagsAndEmptyNameAreOmitted) {
  ExchangeParams p;
  p.userid = 1;
  p.read_clock = 2;
  p.username = "";
  p.request_lead = false;
  EXPECT_EQ(exchange_query(p).find("username"), std::string::npos);
  EXPECT_EQ(exchange_query(p).find("request_lead"), std::string::npos);
}

TEST(BuildBody, ContainerFramingIsBigEndianAndEngineParsesIt) {
  const std::vector<Packet> packets = {Packet(300, 0xab), Packet{1, 2}};
  const std::string c = build_container(packets);
  ASSERT_EQ(c.size(), 1u + 2 + 300 + 2 + 2);
  EXPECT_EQ(static_cast<std::uint8_t>(c[0]), 2);
  EXPECT_EQ(static_cast<std::uint8_t>(c[1]), 0x01);  // 300 = 0x012c
  EXPECT_EQ(static_cast<std::uint8_t>(c[2]), 0x2c);
  PacketList parsed;
  ASSERT_EQ(parse_container(bytes_of(c), parsed), ContainerError::kNone);
  ASSERT_EQ(parsed.count, 2u);
  EXPECT_EQ(parsed.packets[0].size(), 300u);
  EXPECT_EQ(parsed.packets[1][1], 2);

  EXPECT_EQ(build_body(R"({"lyrics":"la"})", packets), R"({"lyrics":"la"})" + c);
  EXPECT_EQ(build_body("", {}), "");
}

TEST(BuildBody, RejectsUnrepresentableContainers) {
  EXPECT_THROW(build_container(std::vector<Packet>(256, Packet{1})), std::invalid_argument);
  EXPECT_THROW(build_container(std::vector<Packet>{Packet{}}), std::invalid_argument);
  EXPECT_THROW(build_container(std::vector<Packet>{Packet(65536, 0)}), std::invalid_argument);
}

TEST(ParseExchangeReply, HandBuiltReply) {
  const auto r = make_reply();
  ExchangeReply out;
  const auto status = parse_exchange_reply(r.header, r.body, out);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(out.server_clock, 81600000100000);
  EXPECT_EQ(out.client_read_clock, 81600000028800);
  EXPECT_EQ(out.n_samples, 5760);
  EXPECT_EQ(out.song_start_clock, 81599999000000);
  EXPECT_EQ(out.song_end_clock, 0);
  ASSERT_TRUE(out.leader.has_value());
  EXPECT_EQ(*out.leader, "48213377120");
  EXPECT_EQ(out.delay_seconds, 6);
  EXPECT_EQ(out.first_bucket, 3);
  EXPECT_EQ(out.metadata.at("chats").as_array().at(0).as_array().at(1).as_string(), "hé");

  ASSERT_EQ(out.summary.size(), 2u);
  EXPECT_EQ(out.summary[0].user_id, 48213377120ull);
  EXPECT_EQ(out.summary[0].name, "Ann Lee");
  EXPECT_FLOAT_EQ(out.summary[0].mic_volume, 1.0f);
  EXPECT_FLOAT_EQ(out.summary[0].rms, 0.25f);
  EXPECT_EQ(out.summary[0].delay_seconds, 3);
  EXPECT_FALSE(out.summary[0].muted());
  EXPECT_EQ(out.summary[1].user_id, 18446744073709551615ull);
  EXPECT_EQ(out.summary[1].name, std::string(32, 'x'));
  EXPECT_EQ(out.summary[1].delay_seconds, 65535);
  EXPECT_TRUE(out.summary[1].muted());
  EXPECT_TRUE(out.summary[1].soloed());

  ASSERT_EQ(out.packets.size(), 2u);
  EXPECT_EQ(out.packets[0], (Packet{1, 2, 3}));
  EXPECT_EQ(out.packets[1], (Packet{0xff}));
}

TEST(ParseExchangeReply, MetadataLenCountsBytesNotCharacters) {
  // "é" is 2 bytes: a length in characters would cut the JSON one byte short.
  const std::string meta = R"({"server_clock":1,"client_read_clock":2,"n_samples":0,"x":"é"})";
  std::string body = meta;
  put_u16(body, 0);
  body.push_back(0);
  ExchangeReply out;
  EXPECT_TRUE(
      parse_exchange_reply(R"({"metadata_len":)" + std::to_string(meta.size()) + "}", body, out)
          .ok());
  EXPECT_FALSE(
      parse_exchange_reply(R"({"metadata_len":)" + std::to_string(meta.size() - 1) + "}", body, out)
          .ok());
}

TEST(ParseExchangeReply, EngineSummaryRoundTrips) {
  std::string name_a = "Zoë";
  std::string name_b = "Bob";
  std::vector<SummaryEntry> entries(2);
  entries[0] = {7, name_a, 1.5f, 0.125f, 6 * 48000, true, false};
  entries[1] = {9, name_b, 1.0f, 0.5f, 3 * 48000, false, true};
  std::string block;
  server::wire::encode_summary(entries, block);
  std::vector<SummaryRecord> out;
  std::size_t consumed = 0;
  ASSERT_TRUE(parse_summary(bytes_of(block), out, consumed).ok());
  EXPECT_EQ(consumed, 2 + 2 * kSummaryRecordSize);
  ASSERT_EQ(out.size(), 2u);
  // Sorted by delay: Bob (3 s) first.
  EXPECT_EQ(out[0].user_id, 9u);
  EXPECT_EQ(out[0].name, "Bob");
  EXPECT_EQ(out[0].delay_seconds, 3);
  EXPECT_TRUE(out[0].soloed());
  EXPECT_EQ(out[1].name, "Zoë");
  EXPECT_FLOAT_EQ(out[1].mic_volume, 1.5f);
  EXPECT_FLOAT_EQ(out[1].rms, 0.125f);
  EXPECT_TRUE(out[1].muted());
}

TEST(ParseExchangeReply, ReportsEachKindOfDamage) {
  const auto good = make_reply();
  const std::size_t meta_len = good.body.find('}', good.body.find("chats")) + 1;
  struct Case {
    const char* what;
    std::string header;
    std::string body;
    const char* expect;  // substring of the message
  };
  std::string bad_count = good.body.substr(0, meta_len);
  put_u16(bad_count, 3);  // claims 3 records, has 2
  bad_count += good.body.substr(meta_len + 2);
  const Case cases[] = {
      {"header not JSON", "metadata_len: 3", good.body, "invalid JSON"},
      {"header not an object", "[1]", good.body, "not an object"},
      {"no metadata_len", R"({"x":1})", good.body, "metadata_len"},
      {"negative metadata_len", R"({"metadata_len":-1})", good.body, "negative"},
      {"metadata_len past the end", R"({"metadata_len":100000})", good.body, "exceeds"},
      {"metadata cut short", R"({"metadata_len":10})", good.body, "metadata"},
      {"summary truncated", good.header, good.body.substr(0, meta_len + 30), "user summary"},
      {"summary count lies", good.header, bad_count, "user summary"},
      {"no container", good.header, good.body.substr(0, meta_len + 2 + 102), "empty"},
      {"container truncated", good.header, good.body.substr(0, good.body.size() - 1),
       "Opus container"},
      {"trailing bytes", good.header, good.body + "x", "after the last packet"},
  };
  for (const auto& c : cases) {
    ExchangeReply out;
    const auto s = parse_exchange_reply(c.header, c.body, out);
    EXPECT_FALSE(s.ok()) << c.what;
    EXPECT_NE(s.message.find(c.expect), std::string::npos) << c.what << ": " << s.message;
  }
}

TEST(ParseExchangeReply, RequiredClocksMustBeIntegers) {
  for (const char* meta : {R"({"server_clock":1,"client_read_clock":2.5,"n_samples":0})",
                           R"({"server_clock":1,"client_read_clock":"2","n_samples":0})",
                           R"({"server_clock":1,"client_read_clock":2})",
                           R"({"client_read_clock":2,"n_samples":0})"}) {
    std::string body = meta;
    put_u16(body, 0);
    body.push_back(0);
    ExchangeReply out;
    EXPECT_FALSE(parse_exchange_reply(
                     R"({"metadata_len":)" + std::to_string(std::strlen(meta)) + "}", body, out)
                     .ok())
        << meta;
  }
}

TEST(ParseExchangeReply, EveryTruncationAndRandomBytesFailCleanly) {
  const auto good = make_reply();
  for (std::size_t n = 0; n < good.body.size(); ++n) {
    ExchangeReply out;
    EXPECT_FALSE(parse_exchange_reply(good.header, good.body.substr(0, n), out).ok()) << n;
  }
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000; ++i) {
    std::string body = good.body;
    body[rng() % body.size()] = static_cast<char>(rng());
    ExchangeReply out;
    (void)parse_exchange_reply(good.header, body, out);  // must not crash (run under ASan)
  }
}

TEST(ParseClockReply, ReadsIntegerClockAndRate) {
  ClockReply out;
  ASSERT_TRUE(parse_clock_reply(R"({"server_clock": 81600000028800, "server_sample_rate": 48000,)"
                                R"( "server_version": "unknown"})",
                                out)
                  .ok());
  EXPECT_EQ(out.server_clock, 81600000028800);
  EXPECT_EQ(out.server_sample_rate, 48000);
  EXPECT_FALSE(
      parse_clock_reply(R"({"server_clock": 8.16e13, "server_sample_rate": 48000})", out).ok());
}

TEST(ParseStatusReply, BodyMustMatchMetadataLen) {
  const std::string body = R"({"n_connected_users": 3, "max_users": 35})";
  StatusReply out;
  ASSERT_TRUE(
      parse_status_reply(R"({"metadata_len":)" + std::to_string(body.size()) + "}", body, out)
          .ok());
  EXPECT_EQ(out.n_connected_users, 3);
  EXPECT_EQ(out.max_users, 35);
  EXPECT_FALSE(parse_status_reply(R"({"metadata_len":3})", body, out).ok());
}

TEST(ParseErrorHeader, KillClientAndMessage) {
  ErrorReply out;
  ASSERT_TRUE(
      parse_error_header(R"({"kill_client": true, "message": "read clock desync"})", out).ok());
  EXPECT_TRUE(out.kill_client);
  EXPECT_EQ(out.message, "read clock desync");
  EXPECT_FALSE(parse_error_header(R"({"kill_client": 1, "message": "x"})", out).ok());
  EXPECT_FALSE(parse_error_header(R"({"kill_client": true})", out).ok());
}

}  // namespace
}  // namespace brigade::client
