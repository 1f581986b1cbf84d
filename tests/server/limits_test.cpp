// The server's bound helpers: token bucket, upload gate, connection limits, session tokens.
#include <gtest/gtest.h>

#include <set>

#include "connection_limits.hpp"
#include "rate_budget.hpp"
#include "session_token.hpp"
#include "upload_gate.hpp"
#include "wire/exchange_request.hpp"

namespace brigade::server {
namespace {

TEST(RateBudget, AllowsTheBurstThenTheRate) {
  RateBudget b;
  const RateLimit limit{.per_second = 2.0, .burst = 4.0};
  const Clock t0 = 1'000 * Clock{kSampleRate};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(b.take(1, t0, limit)) << i;
  EXPECT_FALSE(b.take(1, t0, limit));
  EXPECT_FALSE(b.take(1, t0 + kSampleRate / 4, limit));  // half a token so far
  EXPECT_TRUE(b.take(1, t0 + kSampleRate / 2, limit));
  EXPECT_FALSE(b.take(3, t0 + kSampleRate, limit));  // a refused take costs nothing...
  EXPECT_TRUE(b.take(1, t0 + kSampleRate, limit));   // ...so one token is still there
  // Idle time refills up to the burst only.
  EXPECT_TRUE(b.take(4, t0 + 100 * Clock{kSampleRate}, limit));
  EXPECT_FALSE(b.take(1, t0 + 100 * Clock{kSampleRate}, limit));
  // A rate of 0 turns the limit off.
  RateBudget off;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.take(1, t0, RateLimit{}));
}

TEST(UploadGate, BoundsCountAndBytes) {
  UploadGate gate({.max_concurrent = 3, .max_bytes_in_flight = 100});
  auto a = gate.admit(60);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(gate.admit(41), nullptr);  // 101 bytes
  auto b = gate.admit(40);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(gate.bytes_in_flight(), 100u);
  auto c = gate.admit(0);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(gate.admit(0), nullptr);  // a fourth upload
  a.reset();
  EXPECT_EQ(gate.in_flight(), 2u);
  EXPECT_EQ(gate.bytes_in_flight(), 40u);
  EXPECT_NE(gate.admit(60), nullptr);
}

TEST(ConnectionLimits, PerAddressAndTotal) {
  ConnectionLimits limits({.max_total = 5, .max_per_address = 2});
  auto a1 = limits.admit("10.0.0.1");
  auto a2 = limits.admit("10.0.0.1");
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(limits.admit("10.0.0.1"), nullptr);
  auto b1 = limits.admit("10.0.0.2");
  auto b2 = limits.admit("10.0.0.2");
  auto c1 = limits.admit("10.0.0.3");
  ASSERT_TRUE(b1 && b2 && c1);
  EXPECT_EQ(limits.admit("10.0.0.4"), nullptr);  // the total
  EXPECT_EQ(limits.total(), 5u);
  a1.reset();
  EXPECT_NE(limits.admit("10.0.0.1"), nullptr);
}

TEST(SessionToken, IsLongHexAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string t = new_session_token();
    ASSERT_EQ(t.size(), kSessionTokenChars);
    ASSERT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 1000u);
  const std::string t = new_session_token();
  EXPECT_TRUE(session_token_equal(t, t));
  std::string other = t;
  other.back() = other.back() == '0' ? '1' : '0';
  EXPECT_FALSE(session_token_equal(t, other));
  EXPECT_FALSE(session_token_equal(t, t.substr(1)));
  EXPECT_FALSE(session_token_equal(t, ""));
}

}  // namespace
}  // namespace brigade::server

namespace brigade::server {
namespace {

// Parses "userid=1&read_clock=2880&" + extra; returns the error or "".
std::string parse(const std::string& extra, ExchangeRequest& out) {
  Query q;
  const std::string raw = "userid=1&read_clock=2880&" + extra;
  if (auto e = q.parse(raw)) return e->message;
  std::size_t json_len = 0;
  const auto e = wire::decode_query(q, out, json_len);
  return e ? e->message : "";
}

TEST(ExchangeParsing, ChatEventsAndBackingLevelAreBounded) {
  ExchangeRequest r;
  // 8 chat lines pass, 9 do not.
  std::string chat = "chat=%5B";
  for (int i = 0; i < 8; ++i) chat += (i ? "%2C%22x%22" : "%22x%22");
  EXPECT_EQ(parse(chat + "%5D", r), "");
  EXPECT_EQ(r.controls.chat.size(), 8u);
  EXPECT_EQ(parse(chat + "%2C%22x%22%5D", r), "more than 8 chat lines in one request");
  // 16 events pass, 17 do not; an id of 65 bytes does not.
  std::string events = "event_data=%5B";
  for (int i = 0; i < 16; ++i) {
    events += (i ? "%2C" : "") + std::string("%7B%22evid%22%3A%22e") + std::to_string(i) +
              "%22%2C%22clock%22%3A1%7D";
  }
  EXPECT_EQ(parse(events + "%5D", r), "");
  EXPECT_EQ(r.controls.event_data.size(), 16u);
  EXPECT_EQ(parse(events + "%2C%7B%22evid%22%3A%22f%22%2C%22clock%22%3A1%7D%5D", r),
            "more than 16 events in one request");
  EXPECT_EQ(parse("event_data=%5B%7B%22evid%22%3A%22" + std::string(65, 'x') +
                      "%22%2C%22clock%22%3A1%7D%5D",
                  r),
            "event id longer than 64 bytes");
  // user_backing_volume snaps to the 0.05 grid, so near-equal values share an encoder group.
  EXPECT_EQ(parse("user_backing_volume=1.2345", r), "");
  EXPECT_DOUBLE_EQ(*r.user_backing_volume, 1.25);
  EXPECT_EQ(parse("user_backing_volume=0.01", r), "");
  EXPECT_DOUBLE_EQ(*r.user_backing_volume, 0.0);
}

}  // namespace
}  // namespace brigade::server
