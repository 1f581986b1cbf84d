// Rooms: the directory's limits, names and idle release (with injected clocks), and the front
// dispatcher's mapping of /r/<room>/… onto each room's own Router.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "room_directory.hpp"
#include "room_dispatcher.hpp"
#include "room_name.hpp"
#include "support/temp_dir.hpp"

namespace brigade::server {
namespace {

using namespace std::chrono_literals;

constexpr Clock kStart = Clock{1'800'000'000} * kSampleRate;

class Rooms : public ::testing::Test {
 protected:
  RoomSettings settings() const {
    RoomSettings s;
    s.recordings_dir = dir_.path() / "recordings";
    s.tracks_dir = dir_.path() / "tracks";
    s.router.web_root = std::filesystem::canonical(BRIGADE_WEB_ROOT);
    return s;
  }
  RoomDirectoryConfig config(std::size_t max_rooms = 2) const {
    RoomDirectoryConfig c;
    c.max_rooms = max_rooms;
    c.idle_time = 60s;
    return c;
  }
  RoomDirectory make(RoomDirectoryConfig c) {
    return RoomDirectory(clock_, settings(), std::move(c), [this] { return now_; });
  }
  /// One read-only exchange of singer `userid` in `router` at the room's clock.
  static unsigned exchange(Router& router, Clock now, int userid) {
    const std::string target = "/api?userid=" + std::to_string(userid) +
                               "&username=s&read_clock=" + std::to_string(now - kSampleRate) +
                               "&n_samples=2880";
    return router.handle("POST", target, "").status;
  }

  testing::TempDir dir_{"brigade-rooms"};
  ManualSampleClock clock_{kStart};
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

TEST_F(Rooms, NamesOutsideTheAlphabetAreRefused) {
  for (const char* good :
       {"a", "choir-1", "alto_section", "0", "abcdefghijklmnopqrstuvwxyz012345"}) {
    EXPECT_EQ(room_name_error(good), nullptr) << good;
  }
  for (const char* bad : {"", "..", ".", "a/b", "A", "choir.", "-a", "_a", "%2e%2e", "a b", "é",
                          "abcdefghijklmnopqrstuvwxyz0123456"}) {
    EXPECT_NE(room_name_error(bad), nullptr) << bad;
  }
  auto rooms = make(config());
  EXPECT_EQ(rooms.find_or_create("..").status, 400u);
  EXPECT_EQ(rooms.find_or_create("a/../../x").status, 400u);
  EXPECT_EQ(rooms.list().size(), 1u);  // only the default room
}

TEST_F(Rooms, MaxRoomsRefusesWith503AndAReleaseFreesASlot) {
  auto rooms = make(config(2));
  ASSERT_TRUE(rooms.find_or_create("a").room);
  ASSERT_TRUE(rooms.find_or_create("b").room);
  const auto third = rooms.find_or_create("c");
  EXPECT_EQ(third.status, 503u);
  EXPECT_FALSE(third.room);
  EXPECT_NE(third.message.find("--max-rooms 2"), std::string::npos);
  EXPECT_EQ(rooms.refused_full(), 1u);
  // The default room never counts, and an open room is found again, not made twice.
  EXPECT_TRUE(rooms.find_or_create(kDefaultRoomName).room);
  EXPECT_TRUE(rooms.find_or_create("a").room);
  EXPECT_EQ(rooms.created(), 2u);
  now_ += 61s;
  EXPECT_EQ(rooms.release_idle(), 2u);
  EXPECT_TRUE(rooms.find_or_create("c").room);
}

TEST_F(Rooms, ConfiguredListAllowsOnlyItsNames) {
  auto c = config(4);
  c.allowed = {"alto", "bass"};
  auto rooms = make(c);
  EXPECT_TRUE(rooms.find_or_create("alto").room);
  EXPECT_EQ(rooms.find_or_create("tenor").status, 404u);
  EXPECT_TRUE(rooms.listed_only());
}

TEST_F(Rooms, EachRoomHasItsOwnFoldersAndToken) {
  auto c = config();
  c.admin_tokens["b"] = "b-secret";
  auto rooms = make(c);
  const auto a = rooms.settings_for("a"), b = rooms.settings_for("b");
  EXPECT_EQ(a.recordings_dir, dir_.path() / "recordings" / "rooms" / "a");
  EXPECT_EQ(b.tracks_dir, dir_.path() / "tracks" / "rooms" / "b");
  EXPECT_EQ(rooms.settings_for(kDefaultRoomName).recordings_dir, dir_.path() / "recordings");
  EXPECT_EQ(a.router.exchange.admin_token, "");
  EXPECT_EQ(b.router.exchange.admin_token, "b-secret");
  ASSERT_TRUE(rooms.find_or_create("a").room);
  EXPECT_TRUE(std::filesystem::is_directory(a.recordings_dir));
}

TEST_F(Rooms, IdleRoomIsReleasedAfterTheIdleTimeAndRecreatedClean) {
  auto rooms = make(config());
  std::weak_ptr<RoomInstance> first;
  {
    auto a = rooms.find_or_create("a");
    ASSERT_TRUE(a.room);
    first = a.room;
    ASSERT_EQ(exchange(a.room->router(), clock_.now(), 7), 200u);
    EXPECT_EQ(a.room->singers(), 1);
  }
  // Past the idle time but the singer is still active (room clock unchanged): kept.
  now_ += 61s;
  EXPECT_EQ(rooms.release_idle(), 0u);
  // The singer falls silent (kUserActiveSamples), but a request came 30 s ago: kept.
  clock_.advance(kUserActiveSamples + kSampleRate);
  now_ += 1s;
  ASSERT_TRUE(rooms.find_or_create("a").room);
  now_ += 30s;
  EXPECT_EQ(rooms.release_idle(), 0u);
  // A request in flight holds the room: released from the directory, freed when it is done.
  auto in_flight = first.lock();
  now_ += 31s;
  EXPECT_EQ(rooms.release_idle(), 1u);
  EXPECT_EQ(rooms.released(), 1u);
  EXPECT_EQ(rooms.list().size(), 1u);
  EXPECT_FALSE(first.expired());
  in_flight.reset();
  EXPECT_TRUE(first.expired());  // rings and recorder gone
  // Recreated on the next request: a fresh room with nobody in it.
  const auto again = rooms.find_or_create("a");
  ASSERT_TRUE(again.room);
  EXPECT_EQ(again.room->singers(), 0);
  EXPECT_EQ(again.room->room().user_records(), 0u);
  EXPECT_EQ(rooms.created(), 2u);
  EXPECT_EQ(exchange(again.room->router(), clock_.now(), 8), 200u);
  // The default room is never released.
  now_ += 3600s;
  clock_.advance(3600 * kSampleRate);
  rooms.release_idle();
  EXPECT_EQ(rooms.list().front().name, kDefaultRoomName);
}

TEST_F(Rooms, ConcurrentRequestsNeverOpenMoreThanMaxRooms) {
  // Rooms are built outside the directory's lock: racing first requests for new names must still
  // respect --max-rooms, a name must never be opened twice, and releases may run alongside.
  auto c = config(2);
  c.idle_time = 0s;
  auto rooms = make(c);
  std::atomic<int> made{0}, full{0};
  std::atomic<std::size_t> most_open{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        const auto found = rooms.find_or_create("r" + std::to_string((t + i) % 3));
        (found.room ? made : full).fetch_add(1);
        if (found.room == nullptr) {
          EXPECT_EQ(found.status, 503u);
        }
        std::size_t open = rooms.list().size() - 1;
        for (std::size_t m = most_open.load();
             open > m && !most_open.compare_exchange_weak(m, open);) {
        }
        if (i % 2 == 1) rooms.release_idle();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(most_open.load(), 2u);
  EXPECT_EQ(made.load() + full.load(), 24);
  EXPECT_GT(made.load(), 0);
  EXPECT_LE(rooms.list().size(), 3u);
  EXPECT_EQ(rooms.created() - rooms.released(), rooms.list().size() - 1);
}

TEST_F(Rooms, DispatcherSendsEachPrefixToItsOwnRoom) {
  auto rooms = make(config());
  RoomDispatcher front(rooms);
  ASSERT_EQ(exchange(rooms.default_room().router(), clock_.now(), 1), 200u);
  const Clock read = clock_.now() - kSampleRate;
  const std::string q =
      "?userid=2&username=s&read_clock=" + std::to_string(read) + "&n_samples=2880";
  EXPECT_EQ(front.handle("POST", "/r/a/api" + q, "").status, 200u);
  EXPECT_EQ(front.handle("POST", "/r/b/api" + q, "").status, 200u);
  ASSERT_EQ(rooms.list().size(), 3u);
  for (const auto& room : rooms.list()) EXPECT_EQ(room.singers, 1) << room.name;
  EXPECT_EQ(front.handle("POST", "/api" + q, "").status, 200u);
  EXPECT_EQ(rooms.default_room().singers(), 2);
  // Names and traversal.
  EXPECT_EQ(front.handle("GET", "/r/../etc/passwd", "").status, 400u);
  EXPECT_EQ(front.handle("GET", "/r/%2e%2e/api", "").status, 400u);
  EXPECT_EQ(front.handle("GET", "/r/a/../../../etc/passwd", "").status, 404u);
  EXPECT_EQ(front.handle("GET", "/r/Choir/api", "").status, 400u);
  EXPECT_EQ(front.handle("GET", "/r/c/api", "").status, 503u);
  // The page's relative URLs need the trailing slash.
  const auto moved = front.handle("GET", "/r/a?x=1", "");
  EXPECT_EQ(moved.status, 308u);
  ASSERT_FALSE(moved.headers.empty());
  EXPECT_EQ(moved.headers.front().second, "/r/a/?x=1");
  EXPECT_EQ(front.handle("GET", "/r/a/", "").status, 200u);  // the singer page
  EXPECT_TRUE(RoomDispatcher::is_upload_target("/r/a/api/upload", false));
  EXPECT_TRUE(RoomDispatcher::is_upload_target("/api/upload", false));
  EXPECT_FALSE(RoomDispatcher::is_upload_target("/r/a/api", false));
  // The lobby lists every open room with its singers.
  const auto lobby = front.handle("GET", "/api/rooms", "");
  EXPECT_EQ(lobby.status, 200u);
  EXPECT_NE(lobby.body.find("{\"name\": \"a\", \"url\": \"/r/a/\", \"singers\": 1"),
            std::string::npos)
      << lobby.body;
}

}  // namespace
}  // namespace brigade::server
