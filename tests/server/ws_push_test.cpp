// Unit tests of the WebSocket pushes' bytes and pacing (server/ws_push.hpp): the opt-in, the
// userid scan, the JSON of both push kinds, and when a summary push is due (time injected).
#include "ws_push.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace brigade::server {
namespace {

using namespace std::chrono_literals;
using Clock = SummaryPushPacer::Clock;

TEST(WsPushWire, OnlyPushEqualsOneOptsIn) {
  EXPECT_TRUE(ws_push_requested("push=1"));
  EXPECT_TRUE(ws_push_requested("a=b&push=1"));
  EXPECT_FALSE(ws_push_requested(""));
  EXPECT_FALSE(ws_push_requested("push=0"));
  EXPECT_FALSE(ws_push_requested("push=10"));
  EXPECT_FALSE(ws_push_requested("nopush=1"));
  EXPECT_FALSE(ws_push_requested("push"));
}

TEST(WsPushWire, TheUseridIsAPlainDecimal64BitField) {
  EXPECT_EQ(ws_query_userid("userid=42&read_clock=1"), 42u);
  EXPECT_EQ(ws_query_userid("read_clock=1&userid=18446744073709551615"), 18446744073709551615u);
  EXPECT_EQ(ws_query_userid("read_clock=1"), std::nullopt);
  EXPECT_EQ(ws_query_userid("userid="), std::nullopt);
  EXPECT_EQ(ws_query_userid("userid=4x2"), std::nullopt);
  EXPECT_EQ(ws_query_userid("userid=18446744073709551616"), std::nullopt);  // 2^64
  EXPECT_EQ(ws_query_userid("xuserid=7"), std::nullopt);
}

TEST(WsPushWire, SummaryPushListsTheUsersAsDocumented) {
  std::vector<SummaryEntry> users{
      {.user_id = 18446744073709551615u,
       .name = "Ada \"A\"",
       .mic_volume = 1.5f,
       .rms = 0.25f,
       .delay_samples = 3 * 48'000,
       .muted = true,
       .soloed = true},
      {.user_id = 7, .name = "Bo", .mic_volume = 0.7f, .rms = 0.0123456f, .delay_samples = 0}};
  std::string out = "stale";
  encode_summary_push(users, 12, out);
  const auto p = boost::json::parse(out).as_object();
  EXPECT_EQ(p.at("push"), "summary");
  EXPECT_EQ(p.at("user_summary_version").to_number<std::uint64_t>(), 12u);
  const auto& list = p.at("users").as_array();
  ASSERT_EQ(list.size(), 2u);
  const auto& ada = list.at(0).as_array();
  EXPECT_EQ(ada.at(0), "18446744073709551615");
  EXPECT_EQ(ada.at(1), "Ada \"A\"");
  EXPECT_DOUBLE_EQ(ada.at(2).to_number<double>(), 1.5);
  EXPECT_DOUBLE_EQ(ada.at(3).to_number<double>(), 0.25);
  EXPECT_EQ(ada.at(4).to_number<int>(), 3);
  EXPECT_EQ(ada.at(5).to_number<int>(), 3);  // muted 1 | soloed 2
  EXPECT_EQ(list.at(1).as_array().at(5).to_number<int>(), 0);
  // Four decimals, written short (not a widened float's 17 digits).
  EXPECT_NE(out.find(R"(["7","Bo",0.7,0.0123,0,0])"), std::string::npos) << out;
}

TEST(WsPushWire, TheCacheEncodesEachListingOnceForEverySocket) {
  SummaryPushCache cache;
  auto first = std::make_shared<const SummaryListing>(
      SummaryListing{{.user_id = 7, .name = "Bo", .mic_volume = 1.0f, .rms = 0.5f}});
  const auto a = cache.encoded(first, 3);
  std::string expected;
  encode_summary_push(*first, 3, expected);
  EXPECT_EQ(*a, expected);
  // A second socket asking for the same listing gets the same bytes, not a new encoding.
  EXPECT_EQ(cache.encoded(first, 3).get(), a.get());
  // A new listing (new levels) or a new version is encoded afresh; the old bytes stay valid
  // for a socket still holding them.
  auto second = std::make_shared<const SummaryListing>(
      SummaryListing{{.user_id = 7, .name = "Bo", .mic_volume = 1.0f, .rms = 0.25f}});
  const auto b = cache.encoded(second, 3);
  EXPECT_NE(b.get(), a.get());
  encode_summary_push(*second, 3, expected);
  EXPECT_EQ(*b, expected);
  const auto c = cache.encoded(second, 4);
  EXPECT_NE(c.get(), b.get());
  EXPECT_NE(c->find(R"("user_summary_version":4)"), std::string::npos) << *c;
  EXPECT_NE(a->find("0.5"), std::string::npos) << *a;
}

TEST(WsPushWire, ChatsPushNamesEachSender) {
  std::vector<std::pair<std::string, std::string>> chats{{"Ada", "hi"}, {"Bo", "ü\n"}};
  std::string out;
  encode_chats_push(chats, out);
  const auto p = boost::json::parse(out).as_object();
  EXPECT_EQ(p.at("push"), "chats");
  EXPECT_EQ(p.at("chats"), boost::json::parse(R"([["Ada", "hi"], ["Bo", "ü\n"]])"));
}

TEST(WsPushWire, AChangedListingWaitsTheMinimumIntervalAndItsBytes) {
  SummaryPushPacer pacer;
  const auto t0 = Clock::time_point{} + 1h;
  auto a = std::make_shared<const SummaryListing>();
  auto b = std::make_shared<const SummaryListing>();
  EXPECT_TRUE(pacer.due(a, 1, t0));  // nothing pushed yet
  EXPECT_TRUE(pacer.may_be_due(t0));
  EXPECT_EQ(pacer.first_possible(), Clock::time_point{});  // at once
  pacer.pushed(a, 1, 1'000, t0);
  EXPECT_EQ(pacer.first_possible(), t0 + kSummaryMinInterval);  // the ticker wakes it then
  EXPECT_FALSE(pacer.may_be_due(t0 + kSummaryMinInterval - 1ms));
  EXPECT_TRUE(pacer.may_be_due(t0 + kSummaryMinInterval));
  EXPECT_FALSE(pacer.due(a, 1, t0 + 10s));  // the same listing is never pushed again
  EXPECT_FALSE(pacer.due(b, 2, t0 + kSummaryMinInterval - 1ms));
  EXPECT_TRUE(pacer.due(b, 2, t0 + kSummaryMinInterval));
  // A 1,000-singer-sized push (60 KB) waits for its bytes at the change budget (2,000 B/s, as
  // HTTP replies): 30 s, for a changed listing as for new levels.
  pacer.pushed(b, 2, 60'000, t0);
  EXPECT_FALSE(pacer.may_be_due(t0 + 29900ms));
  EXPECT_EQ(pacer.first_possible(), t0 + 30s);
  EXPECT_FALSE(pacer.due(a, 3, t0 + 29900ms));
  EXPECT_TRUE(pacer.due(a, 3, t0 + 30s));
  EXPECT_TRUE(pacer.may_be_due(t0 + 30s));
}

TEST(WsPushWire, NewLevelsAloneWaitTheLevelsCadence) {
  SummaryPushPacer pacer;
  const auto t0 = Clock::time_point{} + 1h;
  auto a = std::make_shared<const SummaryListing>();
  auto b = std::make_shared<const SummaryListing>();
  pacer.pushed(a, 5, 500, t0);
  EXPECT_FALSE(pacer.due(b, 5, t0 + kWsLevelsMinInterval - 1ms));
  EXPECT_TRUE(pacer.due(b, 5, t0 + kWsLevelsMinInterval));
  // 60 KB at the levels budget (2,000 B/s): every 30 s.
  pacer.pushed(a, 5, 60'000, t0);
  EXPECT_FALSE(pacer.due(b, 5, t0 + 29s));
  EXPECT_TRUE(pacer.due(b, 5, t0 + 30s));
}

}  // namespace
}  // namespace brigade::server
