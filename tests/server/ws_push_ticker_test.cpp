// Unit tests of the pushing sockets' one timer (server/ws_push_ticker.hpp): each tick wakes only
// the sockets that say something may be due, forgets those gone, and stops when none is left.
#include "ws_push_ticker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>

#include "ws_push.hpp"

namespace brigade::server {
namespace {

/// A socket as the ticker sees it: due when told, counting its wake-ups.
class FakeSocket : public WsPushTicker::Subscriber {
 public:
  bool push_may_be_due(WsPushTicker::Clock::time_point now) const override {
    looked_at = now;
    return due;
  }
  void wake() override { ++wakes; }

  std::atomic<bool> due{false};
  std::atomic<int> wakes{0};
  mutable WsPushTicker::Clock::time_point looked_at{};
};

TEST(WsPushTicker, EachTickWakesOnlyTheSocketsWithSomethingDue) {
  boost::asio::io_context ioc;
  WsPushTicker ticker(ioc.get_executor());
  auto due = std::make_shared<FakeSocket>();
  auto idle = std::make_shared<FakeSocket>();
  due->due = true;
  ticker.add(due);
  ticker.add(idle);

  const auto before = WsPushTicker::Clock::now();
  ASSERT_EQ(ioc.run_one(), 1u);  // the first tick, kWsPushPeriod later
  EXPECT_GE(due->looked_at - before, kWsPushPeriod);
  EXPECT_EQ(due->wakes, 1);
  EXPECT_EQ(idle->wakes, 0);
  EXPECT_NE(idle->looked_at, WsPushTicker::Clock::time_point{}) << "every socket is looked at";

  idle->due = true;
  ASSERT_EQ(ioc.run_one(), 1u);
  EXPECT_EQ(due->wakes, 2);
  EXPECT_EQ(idle->wakes, 1);
}

TEST(WsPushTicker, ASocketGoneIsForgottenAndNoSocketMeansNoTick) {
  boost::asio::io_context ioc;
  WsPushTicker ticker(ioc.get_executor());
  auto kept = std::make_shared<FakeSocket>();
  auto gone = std::make_shared<FakeSocket>();
  kept->due = true;
  ticker.add(kept);
  ticker.add(gone);
  EXPECT_EQ(ticker.size(), 2u);
  gone.reset();
  ASSERT_EQ(ioc.run_one(), 1u);
  EXPECT_EQ(ticker.size(), 1u);
  EXPECT_EQ(kept->wakes, 1);

  kept.reset();
  ioc.run();  // returns only if the ticker stops re-arming once nobody is left to wake
  EXPECT_EQ(ticker.size(), 0u);

  // A new socket starts the ticks again.
  ioc.restart();
  auto late = std::make_shared<FakeSocket>();
  late->due = true;
  ticker.add(late);
  ASSERT_EQ(ioc.run_one(), 1u);
  EXPECT_EQ(late->wakes, 1);
}

}  // namespace
}  // namespace brigade::server
