// The drain's wait over every room: which rooms hold it, and why each stops holding it.
#include "drain_wait.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace brigade::server {
namespace {

DrainRoomState room(std::string name, SongPhase phase, int singers) {
  return {std::move(name), phase, singers};
}

TEST(DrainWait, NoSongInAnyRoomHoldsNothing) {
  DrainWait wait;
  EXPECT_TRUE(
      wait.update({room("default", SongPhase::kIdle, 3), room("alto", SongPhase::kLeading, 2)})
          .empty());
  EXPECT_TRUE(wait.waiting().empty());
  EXPECT_FALSE(wait.waited());
  EXPECT_EQ(wait.last_reason(), nullptr);
}

TEST(DrainWait, ASongInANamedRoomHoldsTheDrainUntilItFinishes) {
  DrainWait wait;
  wait.update({room("default", SongPhase::kIdle, 0), room("alto", SongPhase::kSinging, 2)});
  EXPECT_EQ(wait.waiting(), std::vector<std::string>{"alto"});
  EXPECT_TRUE(wait.waited());
  // Stopped: the last buckets are still being sung and recorded.
  EXPECT_TRUE(
      wait.update({room("default", SongPhase::kIdle, 0), room("alto", SongPhase::kFinishing, 2)})
          .empty());
  EXPECT_EQ(wait.waiting(), std::vector<std::string>{"alto"});
  const auto ended =
      wait.update({room("default", SongPhase::kIdle, 0), room("alto", SongPhase::kIdle, 2)});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].room, "alto");
  EXPECT_STREQ(ended[0].reason, "song finished");
  EXPECT_TRUE(wait.waiting().empty());
  EXPECT_STREQ(wait.last_reason(), "song finished");
}

TEST(DrainWait, EveryRoomWithASongIsWaitedForAndEachEndsOnItsOwn) {
  DrainWait wait;
  wait.update({room("default", SongPhase::kSinging, 4), room("alto", SongPhase::kSinging, 2),
               room("bass", SongPhase::kFinishing, 1), room("tenor", SongPhase::kIdle, 5)});
  EXPECT_EQ(wait.waiting(), (std::vector<std::string>{"default", "alto", "bass"}));
  EXPECT_EQ(join_room_names(wait.waiting()), "default, alto, bass");
  // The default room's singers leave mid-song: it would never end, so it stops holding.
  auto ended =
      wait.update({room("default", SongPhase::kSinging, 0), room("alto", SongPhase::kSinging, 2),
                   room("bass", SongPhase::kIdle, 1), room("tenor", SongPhase::kIdle, 5)});
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0].room, "default");
  EXPECT_STREQ(ended[0].reason, "singers left");
  EXPECT_EQ(ended[1].room, "bass");
  EXPECT_STREQ(ended[1].reason, "song finished");
  EXPECT_EQ(wait.waiting(), std::vector<std::string>{"alto"});
  // The last room to end gives the drain its reason.
  ended = wait.update({room("default", SongPhase::kIdle, 0), room("alto", SongPhase::kIdle, 2)});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(wait.waiting().empty());
  EXPECT_STREQ(wait.last_reason(), "song finished");
}

TEST(DrainWait, ASongStartedDuringTheDrainIsWaitedForAndAClosedRoomEnds) {
  DrainWait wait;
  wait.update({room("default", SongPhase::kLeading, 2)});
  EXPECT_TRUE(wait.waiting().empty());
  wait.update({room("default", SongPhase::kSinging, 2), room("alto", SongPhase::kSinging, 1)});
  EXPECT_EQ(wait.waiting(), (std::vector<std::string>{"default", "alto"}));
  const auto ended = wait.update({room("default", SongPhase::kSinging, 2)});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].room, "alto");
  EXPECT_STREQ(ended[0].reason, "room closed");
}

TEST(DrainWait, ASingingSongWithoutSingersNeverHolds) {
  EXPECT_FALSE(DrainWait::holds(room("a", SongPhase::kSinging, 0)));
  EXPECT_TRUE(DrainWait::holds(room("a", SongPhase::kSinging, 1)));
  // Finishing: the recorder catches up with the last bucket whoever is still connected.
  EXPECT_TRUE(DrainWait::holds(room("a", SongPhase::kFinishing, 0)));
  EXPECT_FALSE(DrainWait::holds(room("a", SongPhase::kLeading, 3)));
  EXPECT_FALSE(DrainWait::holds(room("a", SongPhase::kIdle, 3)));
}

}  // namespace
}  // namespace brigade::server
