// Integration: named rooms in one real server. Two rooms sing at once with different tones and
// each follower hears only its own room; the limits (--max-rooms, names, traversal) answer
// with JSON and harm nothing; the bare /api stays the default room.
#include <boost/json.hpp>
#include <thread>

#include "room_song.hpp"
#include "server_fixture.hpp"
#include "support/temp_dir.hpp"

namespace brigade::integration {
namespace {

using RoomsServer = ServerTest;

constexpr double kAltoHz = 440.0;
constexpr double kBassHz = 660.0;

boost::json::object json_of(const client::HttpResponse& r) {
  return boost::json::parse(r.body).as_object();
}

TEST_F(RoomsServer, TwoRoomsSingAtOnceAndEachHearsOnlyItsOwnTone) {
  testing::TempDir dir("brigade-rooms-rec");
  start_server({"--recordings-dir", dir.path().string()});
  HeardSong alto, bass;
  std::thread a(
      [&] { alto = sing_room_song(server_->port(), "/r/alto/api", kAltoHz, kBassHz, 100); });
  std::thread b(
      [&] { bass = sing_room_song(server_->port(), "/r/bass/api", kBassHz, kAltoHz, 200); });
  a.join();
  b.join();
  expect_only_own_tone(alto, "alto");
  expect_only_own_tone(bass, "bass");
  // Both rooms list their two singers; the default room has none.
  const auto lobby = json_of(http_->get("/api/rooms"));
  std::map<std::string, std::int64_t> singers;
  for (const auto& r : lobby.at("rooms").as_array()) {
    singers[std::string(r.at("name").as_string())] = r.at("singers").as_int64();
  }
  EXPECT_EQ(singers,
            (std::map<std::string, std::int64_t>{{"alto", 2}, {"bass", 2}, {"default", 0}}));
  // Each room's status and chart see only its own singers.
  const auto status = json_of(http_->post("/r/alto/api?action=status", ""));
  EXPECT_EQ(status.at("n_connected_users").as_int64(), 2);
  EXPECT_EQ(json_of(http_->post("/api?action=status", "")).at("n_connected_users").as_int64(), 0);
  const auto metrics = http_->get("/metrics").body;
  EXPECT_NE(metrics.find("brigade_room_singers{room=\"alto\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("brigade_rooms 3\n"), std::string::npos);
  // Each room records its own song into its own folder, listed and served under its prefix.
  for (const std::string room : {"alto", "bass"}) {
    const auto list = json_of(http_->get("/r/" + room + "/api/recordings"));
    const auto& recordings = list.at("recordings").as_array();
    ASSERT_EQ(recordings.size(), 1u) << room;
    const std::string url(recordings[0].at("url").as_string());
    EXPECT_TRUE(url.starts_with("/r/" + room + "/recordings/")) << url;
    const auto wav = http_->get(url);
    EXPECT_EQ(wav.status, 200) << url;
    EXPECT_EQ(wav.header("Content-Type"), "audio/wav");
  }
  EXPECT_TRUE(json_of(http_->get("/api/recordings")).at("recordings").as_array().empty());
  server_->stop();  // before `dir` goes: the recorders finish their files at exit
}

TEST_F(RoomsServer, LimitsAnswerWithJsonAndHarmNothing) {
  start_server({"--max-rooms", "1"});
  EXPECT_EQ(http_->get("/r/one/api").status, 200);
  const auto full = http_->get("/r/two/api");
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(full.header("Retry-After"), "30");
  EXPECT_NE(json_of(full).at("message").as_string().find("--max-rooms 1"), std::string::npos);
  const auto long_name = http_->get("/r/" + std::string(33, 'a') + "/api");
  EXPECT_EQ(long_name.status, 400);
  EXPECT_NE(json_of(long_name).at("message").as_string().find("32"), std::string::npos);
  for (const char* bad : {"/r/Alto/api", "/r/a.b/api", "/r/a%2fb/api", "/r/..%2f..%2fetc/api",
                          "/r/../etc/passwd", "/r/..", "/r/.%2e/recordings/x"}) {
    const auto r = http_->get(bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(json_of(r).contains("message")) << bad;
  }
  // Traversal below a valid room stays inside the web root.
  for (const char* escape : {"/r/one/../../../../etc/passwd", "/r/one/%2e%2e/%2e%2e/etc/passwd",
                             "/r/one/recordings/../../../etc/passwd"}) {
    const auto r = http_->get(escape);
    EXPECT_EQ(r.status, 404) << escape;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << escape;
  }
  // The default room and the open room still serve; no room was made by the refusals.
  expect_serving();
  EXPECT_EQ(http_->get("/r/one/api").status, 200);
  EXPECT_EQ(json_of(http_->get("/api/rooms")).at("rooms").as_array().size(), 2u);
  const auto metrics = http_->get("/metrics").body;
  EXPECT_NE(metrics.find("brigade_rooms_refused_total 1\n"), std::string::npos) << metrics;
}

TEST_F(RoomsServer, ConfiguredRoomsOnlyAndEachRoomsOwnAdminToken) {
  testing::TempDir dir("brigade-rooms-it");
  start_server({"--room", "choir", "--room-admin-token", "choir=choir-secret", "--admin-token",
                "server-secret", "--recordings-dir", (dir.path() / "rec").string()});
  EXPECT_EQ(http_->get("/r/other/api").status, 404);
  // A room-wide control (global volume) needs that room's token; the server's opens the default
  // room only.
  auto set_volume = [&](const std::string& api, const std::string& token) {
    client::ExchangeParams p;
    const Clock now = client::local_clock_now() - kSampleRate;
    p.userid = 4242;
    p.read_clock = now - now % 2880;
    p.n_samples = 2880;
    p.reset_user_state = true;
    p.volume = 1.5;
    p.extra.emplace_back("admin_token", token);
    return http_->post(client::exchange_target(p, api), "").status;
  };
  EXPECT_EQ(set_volume("/r/choir/api", "server-secret"), 403);
  EXPECT_EQ(set_volume("/r/choir/api", "choir-secret"), 200);
  EXPECT_EQ(set_volume("/api", "choir-secret"), 403);
  EXPECT_EQ(set_volume("/api", "server-secret"), 200);
  EXPECT_EQ(http_->get("/r/choir/").status, 200);  // the singer page
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "rec" / "rooms" / "choir"));
  server_->stop();  // before `dir` goes
}

TEST_F(RoomsServer, AnIdleRoomIsReleasedAndComesBackEmpty) {
  // The idle time itself is tested with injected clocks (room_directory_test); this proves the
  // server's timer releases a room, /metrics shows it, and the name makes a fresh room again.
  start_server({"--room-idle-seconds", "1"});
  ASSERT_EQ(http_->get("/r/brief/api").status, 200);
  ASSERT_EQ(json_of(http_->get("/api/rooms")).at("rooms").as_array().size(), 2u);
  bool released = false;
  for (int i = 0; i < 50 && !released; ++i) {  // 1 s idle + the 1 s housekeeping tick
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    released = json_of(http_->get("/api/rooms")).at("rooms").as_array().size() == 1;
  }
  ASSERT_TRUE(released);
  const auto metrics = http_->get("/metrics").body;
  EXPECT_NE(metrics.find("brigade_rooms_released_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("brigade_rooms 1\n"), std::string::npos);
  ASSERT_EQ(http_->get("/r/brief/api").status, 200);
  const auto status = json_of(http_->post("/r/brief/api?action=status", ""));
  EXPECT_EQ(status.at("n_connected_users").as_int64(), 0);
  EXPECT_NE(http_->get("/metrics").body.find("brigade_rooms_created_total 2\n"), std::string::npos);
}

TEST_F(RoomsServer, DuringTheDrainNamedRoomsRefuseNewSingersToo) {
  start_server({"--drain-timeout", "30"});
  ASSERT_EQ(http_->get("/r/late/api").status, 200);  // the room exists before the drain
  // A song in the default room keeps the drain waiting.
  client::Singer leader(*http_, 1, "Leader");
  leader.connect(3.0);
  constexpr Clock kChunk = 28'800;
  auto sing = [&](client::ExchangeParams p = {}) {
    const auto tone = client::sine(kAltoHz, 0.2f, kChunk, leader.next_read_clock(kChunk) - kChunk);
    const auto r = leader.exchange(kChunk, &tone, p);
    EXPECT_TRUE(r.ok()) << r.problem;
  };
  client::ExchangeParams lead, start;
  lead.request_lead = true;
  start.mark_start_singing = true;
  sing(lead);
  sing(start);
  server_->signal(SIGTERM);
  auto other_http = make_client();
  int refused_status = 0;
  std::string message;
  for (std::uint64_t id = 500; id < 520 && refused_status != 503; ++id) {  // ≤ 12 s
    sing();
    client::Singer newcomer(*other_http, id, "Late", "/r/late/api");
    newcomer.connect(6.0);
    const auto r = newcomer.exchange(kChunk);
    refused_status = r.http.status;
    message = r.error.message;
  }
  EXPECT_EQ(refused_status, 503);
  EXPECT_EQ(message, "the server is shutting down: no new singers");
}

}  // namespace
}  // namespace brigade::integration
