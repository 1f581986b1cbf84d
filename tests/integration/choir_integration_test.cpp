// Integration: what a real choir rehearsal needs from the server, against the real binary over
// real HTTP with real Opus: nobody hijacks a running song, a song whose leader vanished ends by
// itself and so does its recording, the recordings folder keeps to its size cap, --private
// hides operators' data, singers without headphones sit in the last bucket, and browsers get
// HTML error pages.
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "brigade/storage/wav.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server_fixture.hpp"
#include "support/temp_dir.hpp"

namespace brigade::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using client::ExchangeParams;
using client::SingerReply;

constexpr Clock kChunk = 28'800;  // 600 ms, the browser's exchange
constexpr Clock kFrame = 2'880;   // one Opus packet
constexpr std::uint64_t kLeaderId = 101;
constexpr std::uint64_t kFollowerId = 202;

/// A server per test with its own recordings directory.
class ChoirTest : public ServerTest {
 protected:
  void SetUp() override {}
  void start_server(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--recordings-dir", recordings_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ServerTest::start_server(args);
  }
  /// Finished recordings in the JSON listing (names), optionally with a token.
  std::vector<json::object> listing(const std::string& query = "") {
    const auto res = http_->get("/api/recordings" + query);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<json::object> out;
    if (res.status != 200) return out;
    const json::value v = json::parse(res.body);
    for (const auto& e : v.at("recordings").as_array()) out.push_back(e.as_object());
    return out;
  }
  /// Polls the listing until the song's recording is finished (at most `limit`).
  json::object wait_for_finished_recording(Clock song_start, std::chrono::seconds limit,
                                           const std::function<void()>& keep_alive) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& e : listing()) {
        if (e.at("finished").as_bool() &&
            e.at("song_start_clock").to_number<Clock>() == song_start) {
          return e;
        }
      }
      keep_alive();
    }
    ADD_FAILURE() << "no finished recording within " << limit.count() << " s";
    return {};
  }

  testing::TempDir recordings_{"brigade-choir-recordings"};
};

/// A leader 3 s and a follower 6 s behind the server; the follower joins first so the lead
/// counts it.
struct Duo {
  explicit Duo(client::HttpClient& http)
      : leader(http, kLeaderId, "Leader"), follower(http, kFollowerId, "Follower") {
    const Clock now = follower.connect(6.0);
    const Clock l = now - 3 * kSampleRate;
    leader.start_at(l - l % kFrame);
  }
  SingerReply lead(ExchangeParams p = {}, float amplitude = 0.0f) {
    const Clock begin = leader.next_read_clock(kChunk) - kChunk;
    const auto pcm = client::sine(440.0, amplitude, kChunk, begin);
    auto r = leader.exchange(kChunk, &pcm, std::move(p));
    EXPECT_TRUE(r.ok()) << r.problem;
    return r;
  }
  SingerReply follow(ExchangeParams p = {}) {
    return follower.exchange(kChunk, nullptr, std::move(p));
  }
  /// Follower joins, leader takes the lead and starts; returns the song's start clock.
  Clock start_song() {
    EXPECT_TRUE(follow().ok());
    ExchangeParams lead_p;
    lead_p.request_lead = true;
    lead(lead_p);
    ExchangeParams start;
    start.mark_start_singing = true;
    const Clock song_start = leader.next_read_clock(kChunk);  // the start is the read clock
    EXPECT_EQ(lead(start).reply.song_start_clock, song_start);
    return song_start;
  }

  client::Singer leader;
  client::Singer follower;
};

TEST_F(ChoirTest, AFollowerCannotTakeOverStartOrStopARunningSong) {
  start_server();
  Duo duo(*http_);
  const Clock song_start = duo.start_song();
  ASSERT_TRUE(duo.follow().ok());  // takes its bucket
  for (const char* what : {"request_lead", "mark_start_singing", "mark_stop_singing"}) {
    ExchangeParams p;
    p.request_lead = std::string_view(what) == "request_lead";
    p.mark_start_singing = std::string_view(what) == "mark_start_singing";
    p.mark_stop_singing = std::string_view(what) == "mark_stop_singing";
    const SingerReply r = duo.follow(p);
    EXPECT_EQ(r.http.status, 409) << what << ": " << r.http.body;
    EXPECT_EQ(r.http.header("Content-Type"), "application/json");
    EXPECT_NE(r.error.message.find("only its leader"), std::string::npos) << r.error.message;
  }
  // Nothing changed: same song, same leader, nobody re-placed, and the leader goes on.
  const SingerReply after = duo.follow();
  ASSERT_TRUE(after.ok()) << after.problem;
  EXPECT_EQ(after.reply.song_start_clock, song_start);
  EXPECT_EQ(after.reply.song_end_clock, 0);
  EXPECT_EQ(after.reply.leader, std::to_string(kLeaderId));
  EXPECT_FALSE(after.reply.delay_seconds.has_value());
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  EXPECT_GT(duo.lead(stop).reply.song_end_clock, 1) << "the leader still stops it";
}

TEST_F(ChoirTest, TheLeaderHandsTheLeadOverMidSong) {
  start_server();
  Duo duo(*http_);
  duo.start_song();
  ExchangeParams hand;
  hand.extra.emplace_back("hand_lead", std::to_string(kFollowerId));
  EXPECT_EQ(duo.lead(hand).reply.leader, std::to_string(kFollowerId));
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  const SingerReply r = duo.follow(stop);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_GT(r.reply.song_end_clock, 1) << "the new leader may stop the song";
}

TEST_F(ChoirTest, ASongEndsWhenItsLeaderIsGoneAndItsRecordingHasTheSongsLength) {
  constexpr int kGoneSeconds = 2;  // --leader-gone-seconds (30 by default)
  start_server({"--leader-gone-seconds", std::to_string(kGoneSeconds)});
  Duo duo(*http_);
  const Clock song_start = duo.start_song();
  for (int i = 0; i < 3; ++i) duo.lead({}, 0.2f);
  const Clock last_write = duo.leader.next_read_clock(kChunk) - kChunk;
  const auto gone_at = std::chrono::steady_clock::now();
  // The leader vanishes without stopping; the follower keeps singing along.
  Clock end = 0;
  while (end == 0 && std::chrono::steady_clock::now() - gone_at < std::chrono::seconds(10)) {
    const SingerReply r = duo.follow();
    ASSERT_TRUE(r.ok()) << r.problem;
    end = r.reply.song_end_clock;
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gone_at).count();
  EXPECT_EQ(end, last_write) << "the song ends at the leader's last write";
  EXPECT_GE(waited, kGoneSeconds - 0.2);
  EXPECT_LE(waited, kGoneSeconds + 1.5) << "ended " << waited << " s after the leader left";

  const json::object rec = wait_for_finished_recording(song_start, std::chrono::seconds(40),
                                                       [&] { (void)duo.follow(); });
  ASSERT_FALSE(rec.empty());
  EXPECT_EQ(rec.at("leader").as_string(), "Leader");
  EXPECT_EQ(rec.at("song_start_clock").to_number<Clock>(), song_start);
  const auto pcm = read_wav_file(recordings_.path() / std::string(rec.at("name").as_string()));
  ASSERT_TRUE(pcm) << pcm.error();
  EXPECT_EQ(static_cast<Clock>(pcm.value().size()), last_write - song_start);
  EXPECT_NEAR(rec.at("duration_seconds").to_number<double>(),
              static_cast<double>(last_write - song_start) / kSampleRate, 0.001);
}

TEST_F(ChoirTest, TheSizeCapDeletesTheOldestRecordingsFirst) {
  // Three old recordings of 356,044 bytes each: together above a 1 MiB cap.
  const std::vector<std::string> old = {"2020-01-01-000000", "2020-01-01-000001",
                                        "2020-01-01-000002"};
  for (const auto& stem : old) {
    auto w = WavWriter::create(recordings_.path() / (stem + ".wav"));
    ASSERT_TRUE(w) << w.error();
    ASSERT_TRUE(w.value().append(std::vector<float>(178'000, 0.1f)));
    ASSERT_TRUE(w.value().finish());
  }
  std::ofstream(recordings_.path() / (old[0] + ".info")) << "leader=Old\n";
  start_server({"--max-recordings-mb", "1"});
  Duo duo(*http_);
  const Clock song_start = duo.start_song();
  duo.lead({}, 0.2f);
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  duo.lead(stop);
  const json::object rec = wait_for_finished_recording(song_start, std::chrono::seconds(40),
                                                       [&] { (void)duo.follow(); });
  ASSERT_FALSE(rec.empty());
  EXPECT_FALSE(fs::exists(recordings_.path() / (old[0] + ".wav"))) << "the oldest goes first";
  EXPECT_FALSE(fs::exists(recordings_.path() / (old[0] + ".info"))) << "with its companions";
  EXPECT_TRUE(fs::exists(recordings_.path() / (old[1] + ".wav")));
  EXPECT_TRUE(fs::exists(recordings_.path() / (old[2] + ".wav")));
  std::uintmax_t total = 0;
  // Everything counts, the songs' stems folders included.
  for (const auto& e : fs::recursive_directory_iterator(recordings_.path())) {
    if (e.is_regular_file()) total += e.file_size();
  }
  EXPECT_LE(total, std::uintmax_t{1} << 20);
}

TEST_F(ChoirTest, PrivateHidesRecordingsDebugTelemetryAndMetricsFromAllButOperators) {
  {
    auto w = WavWriter::create(recordings_.path() / "2020-01-01-000000.wav");
    ASSERT_TRUE(w);
    ASSERT_TRUE(w.value().append(std::vector<float>(4800, 0.1f)));
    ASSERT_TRUE(w.value().finish());
  }
  start_server({"--private", "--operator-token", "look", "--admin-token", "adm"});
  auto get = [&](const std::string& target, const std::string& header = "") {
    return http_->raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header +
                      "Connection: close\r\n\r\n");
  };
  for (const std::string path : {"/api/debug/state", "/api/telemetry", "/metrics",
                                 "/api/recordings", "/recordings/2020-01-01-000000.wav"}) {
    EXPECT_EQ(get(path).status, 401) << path;
    EXPECT_EQ(get(path, "X-Operator-Token: nope\r\n").status, 403) << path;
    EXPECT_EQ(get(path + "?token=nope").status, 403) << path;
    EXPECT_EQ(get(path + "?token=look").status, 200) << path;
    EXPECT_EQ(get(path, "X-Operator-Token: look\r\n").status, 200) << path;
    EXPECT_EQ(get(path, "Authorization: Bearer look\r\n").status, 200) << path;
    EXPECT_EQ(get(path, "X-Admin-Token: adm\r\n").status, 200) << path;
  }
  EXPECT_EQ(get("/recordings/").status, 200) << "the page itself is public; its data is not";
  EXPECT_EQ(get("/api").status, 200) << "singing needs no token";
  // The operator token is read-only: it controls nothing.
  ExchangeParams p;
  p.userid = 5;
  const Clock now = client::local_clock_now() - kSampleRate;
  p.read_clock = now - now % kFrame;
  p.n_samples = kFrame;
  p.reset_user_state = true;
  p.volume = 1.5;
  p.extra.emplace_back("admin_token", "look");
  EXPECT_EQ(http_->post(client::exchange_target(p), "").status, 403);
}

TEST_F(ChoirTest, WithoutPrivateOperatorDataIsOpen) {
  start_server({"--operator-token", "look"});
  EXPECT_EQ(http_->get("/api/debug/state").status, 200);
  EXPECT_EQ(http_->get("/api/recordings").status, 200);
}

TEST_F(ChoirTest, ASingerWithoutHeadphonesIsPlacedInTheLastBucket) {
  start_server();
  client::Singer speakers(*http_, 303, "Speakers");
  client::Singer headset(*http_, 404, "Headset");
  client::Singer leader(*http_, kLeaderId, "Leader");
  ExchangeParams no_headphones;
  no_headphones.extra.emplace_back("headphones", "0");
  speakers.connect(6.0);
  ASSERT_TRUE(speakers.exchange(kChunk, nullptr, no_headphones).ok());
  headset.connect(6.0);
  ASSERT_TRUE(headset.exchange(kChunk).ok());
  leader.connect(3.0);
  ExchangeParams lead;
  lead.request_lead = true;
  const SingerReply led = leader.exchange(kChunk, nullptr, lead);
  ASSERT_TRUE(led.ok()) << led.problem;
  const SingerReply s = speakers.exchange(kChunk, nullptr, no_headphones);
  const SingerReply h = headset.exchange(kChunk);
  ASSERT_TRUE(s.ok() && h.ok());
  ASSERT_TRUE(s.reply.delay_seconds && h.reply.delay_seconds);
  EXPECT_GT(*s.reply.delay_seconds, *h.reply.delay_seconds);
  const json::value state = json::parse(http_->get("/api/debug/state").body);
  for (const auto& singer : state.at("singers").as_array()) {
    EXPECT_EQ(singer.at("headphones").as_bool(), singer.at("id").as_string() != "303")
        << json::serialize(singer);
  }
}

TEST_F(ChoirTest, BrowsersGetHtmlErrorPagesAndTheApiKeepsJson) {
  start_server();
  const auto page = http_->raw(
      "GET /no/such/page HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html,*/*;q=0.8\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_EQ(page.status, 404);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<h1>Page not found</h1>"), std::string::npos) << page.body;
  const auto tool = http_->get("/no/such/page");
  EXPECT_EQ(tool.status, 404);
  EXPECT_EQ(tool.header("Content-Type"), "application/json");
  const auto api = http_->raw(
      "POST /api/debug/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(api.status, 405);
  EXPECT_EQ(api.header("Content-Type"), "application/json");
}

}  // namespace
}  // namespace brigade::integration
