// The roster: one record per singer, one eviction policy (include/brigade/engine/roster.hpp).
#include "brigade/engine/roster.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace brigade {
namespace {

constexpr Clock kT0 = 80'000'000'000'000;
constexpr Clock kSecond = kSampleRate;

// A singer in the room, last heard (and seen) at `heard`.
Singer& join(Roster& roster, UserId id, Clock heard) {
  Singer& s = roster.add(id);
  s.joined = true;
  s.last_heard = heard;
  s.last_seen = heard;
  return s;
}

TEST(Roster, ARecordNotYetJoinedIsKeptButIsNotASinger) {
  Roster roster(8);
  Singer& waiting = roster.add(1);  // e.g. a refused joiner: only its attachment is kept
  waiting.last_seen = kT0;
  join(roster, 2, kT0);
  EXPECT_EQ(roster.size(), 2u);
  EXPECT_EQ(roster.record(1), &waiting);
  EXPECT_EQ(roster.find(1), nullptr);
  ASSERT_NE(roster.find(2), nullptr);
  EXPECT_EQ(roster.find(2)->id, 2u);
  EXPECT_EQ(roster.count_active(kT0), 1);
  EXPECT_FALSE(Roster::is_active(waiting, kT0)) << "never active, whatever its clocks";
}

TEST(Roster, ActiveMeansHeardWithinTheActiveWindow) {
  Roster roster(8);
  const Singer& s = join(roster, 1, kT0);
  EXPECT_TRUE(Roster::is_active(s, kT0 + kUserActiveSamples));
  EXPECT_FALSE(Roster::is_active(s, kT0 + kUserActiveSamples + 1));
  int visited = 0;
  roster.for_each_active(kT0 + kUserActiveSamples + 1, [&](Singer&) { ++visited; });
  EXPECT_EQ(visited, 0);
}

TEST(Roster, BelowCapacityNothingIsEvicted) {
  Roster roster(3);
  join(roster, 1, kT0);
  join(roster, 2, kT0);
  EXPECT_EQ(roster.eviction_candidate(kT0 + 100 * kSecond), nullptr);
}

TEST(Roster, AtCapacityTheInactiveRecordSeenLongestAgoGoes) {
  Roster roster(3);
  join(roster, 1, kT0);
  join(roster, 2, kT0 + 10 * kSecond);
  Singer& seen = join(roster, 3, kT0 + 1 * kSecond);
  seen.last_seen = kT0 + 20 * kSecond;  // its refused requests kept coming
  const Clock now = kT0 + 30 * kSecond;
  Singer* victim = roster.eviction_candidate(now);
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->id, 1u);
  roster.erase(victim->id);
  roster.add(4);
  EXPECT_EQ(roster.size(), 3u);
  EXPECT_EQ(roster.record(1), nullptr);
}

TEST(Roster, AnActiveSingerIsNeverEvictedWhileAnInactiveRecordExists) {
  Roster roster(3);
  const Clock now = kT0 + 60 * kSecond;
  // The singer seen longest ago is still singing; two records seen later are not.
  join(roster, 1, now - kSecond).last_seen = now - kSecond;
  roster.add(2).last_seen = now;  // never joined (records of refused requests)
  roster.add(3).last_seen = now - kSecond / 2;
  roster.record(1)->last_seen = now - 2 * kSecond;
  Singer* victim = roster.eviction_candidate(now);
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->id, 3u) << "the oldest-seen record that is not an active singer";
}

TEST(Roster, RecordsUnseenForTheirLifetimeExpire) {
  Roster roster(8);
  join(roster, 1, kT0);
  join(roster, 2, kT0 + kSecond);
  roster.add(3).last_seen = kT0;
  roster.expire(kT0 + kUserLifetimeSamples);
  EXPECT_EQ(roster.size(), 3u) << "exactly one lifetime is not yet too old";
  roster.expire(kT0 + kUserLifetimeSamples + 1);
  EXPECT_EQ(roster.size(), 1u);
  EXPECT_NE(roster.find(2), nullptr);
}

TEST(Roster, QueueForActiveReachesEveryActiveSingerOnceAndKeepsTheirOtherKeys) {
  Roster roster(8);
  join(roster, 1, kT0).pending.delay_seconds = 6;
  join(roster, 2, kT0);
  join(roster, 3, kT0 - kUserActiveSamples - 1);  // gone quiet
  PendingKeys everyone;
  everyone.lyrics = "la la";
  everyone.bpm = 90;
  roster.queue_for_active(kT0, everyone);
  for (UserId id : {1, 2}) {
    const PendingKeys& p = roster.find(id)->pending;
    EXPECT_EQ(p.lyrics, std::optional<std::string>("la la")) << id;
    EXPECT_EQ(p.bpm, std::optional<int>(90)) << id;
    EXPECT_FALSE(p.repeats.has_value()) << id;
  }
  EXPECT_EQ(roster.find(1)->pending.delay_seconds, std::optional<int>(6));
  EXPECT_FALSE(roster.find(3)->pending.lyrics.has_value());
}

TEST(PendingKeys, MergeCopiesOnlyTheKeysThatAreSet) {
  PendingKeys to;
  to.bpm = 60;
  to.image = "OLD";
  to.chats.emplace_back("a", "hi");
  PendingKeys from;
  from.image = "";
  from.global_volume = 0.5;
  from.tracks = true;
  from.chats.emplace_back("b", "not merged: chats are per recipient");
  to.merge(from);
  EXPECT_EQ(to.bpm, std::optional<int>(60));
  EXPECT_EQ(to.image, std::optional<std::string>(""));
  EXPECT_EQ(to.global_volume, std::optional<double>(0.5));
  EXPECT_TRUE(to.tracks);
  EXPECT_TRUE(from.any_key());
  EXPECT_FALSE(PendingKeys{}.any_key());
  ASSERT_EQ(to.chats.size(), 1u);
  EXPECT_EQ(to.chats[0].first, "a");
}

}  // namespace
}  // namespace brigade
