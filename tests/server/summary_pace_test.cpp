// Unit tests of the per-singer summary budget (server/summary_pace.hpp): when a changed listing
// may follow a summary, at the boundaries, and how the previous summary's bytes stretch the wait.
#include "summary_pace.hpp"

#include <gtest/gtest.h>

namespace brigade::server {
namespace {

using namespace std::chrono_literals;

constexpr PaceTime kT0 = 3600s;

TEST(SummaryPace, NothingSentYetIsDue) {
  const SummaryPace pace;
  EXPECT_TRUE(pace.due(kT0));
  EXPECT_TRUE(pace.due(PaceTime{0}));
}

TEST(SummaryPace, ASmallSummaryWaitsTheMinimumInterval) {
  SummaryPace pace;
  pace.sent(2 + 3 * 51, kT0);  // three singers: 155 B, 78 ms of budget, so 600 ms rules
  EXPECT_FALSE(pace.due(kT0));
  EXPECT_FALSE(pace.due(kT0 + kSummaryMinInterval - 1us));
  EXPECT_TRUE(pace.due(kT0 + kSummaryMinInterval));
  EXPECT_TRUE(pace.due(kT0 + 1h));
}

TEST(SummaryPace, BytesScaleTheWaitAtTheBudget) {
  SummaryPace pace;
  pace.sent(51'002, kT0);  // 1,000 singers at 2,000 B/s: 25.501 s
  EXPECT_FALSE(pace.due(kT0 + 25'500ms));
  EXPECT_TRUE(pace.due(kT0 + 25'501ms));
  // The wait is the latest summary's: a small one after it brings the minimum back.
  pace.sent(1'000, kT0 + 30s);
  EXPECT_FALSE(pace.due(kT0 + 30s + 599ms));
  EXPECT_TRUE(pace.due(kT0 + 30s + 600ms));
  // 1,200 B is exactly the 600 ms a page waits anyway; one byte more waits longer.
  pace.sent(1'202, kT0);
  EXPECT_FALSE(pace.due(kT0 + 600ms));
  EXPECT_TRUE(pace.due(kT0 + 601ms));
}

TEST(SummaryPace, ALargerListingWaitsForItsOwnSize) {
  // A room filling up: a 100-singer summary, then the 1,000-singer one waits its own 25.5 s.
  SummaryPace pace;
  pace.sent(5'102, kT0);
  EXPECT_TRUE(pace.due(kT0 + 2'551ms, 5'102));
  EXPECT_FALSE(pace.due(kT0 + 2'551ms, 51'002));
  EXPECT_FALSE(pace.due(kT0 + 25'500ms, 51'002));
  EXPECT_TRUE(pace.due(kT0 + 25'501ms, 51'002));
}

TEST(SummaryPace, TheWaitIsMaxOfTheMinimumAndBytesOverTheBudget) {
  EXPECT_EQ(summary_wait(0), kSummaryMinInterval);
  EXPECT_EQ(summary_wait(1'200), kSummaryMinInterval);
  EXPECT_EQ(summary_wait(4'000), 2s);
  EXPECT_EQ(summary_wait(51'000), 25'500ms);
  EXPECT_EQ(summary_wait(20'000, 20'000.0), 1s);  // another budget, same rule
  EXPECT_EQ(kSummaryChangeBytesPerSecond, 2'000.0);
}

TEST(SummaryPace, AClockSetBackDoesNotHoldTheListingOff) {
  SummaryPace pace;
  pace.sent(51'002, kT0);
  EXPECT_TRUE(pace.due(kT0 - 1s));
}

TEST(SummaryPace, TheServerClockMapsToMicroseconds) {
  EXPECT_EQ(pace_time(0), PaceTime{0});
  EXPECT_EQ(pace_time(kSampleRate), 1s);
  EXPECT_EQ(pace_time(28'800), 600ms);  // a page's 600 ms batch
  EXPECT_EQ(pace_time(6), 125us);
  // Today's clock (~1.8e9 s since 1970 at 48 kHz) converts without overflow.
  const Clock today = Clock{1'800'000'000} * kSampleRate;
  EXPECT_EQ(pace_time(today + 28'800) - pace_time(today), 600ms);
}

}  // namespace
}  // namespace brigade::server
