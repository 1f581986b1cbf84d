// Integration: the paths the original Bucket Brigade page uses beyond the audio exchange, against
// the real server over real HTTP with real Opus: its upload route (/upload?type=backingTrack|
// image) with MP3 and WAV tracks that then play in a song, the image it draws from
// /user-upload-image, static files without cross-origin isolation headers, its localhost mode
// (the API at the root of another port), values it sends that we clamp instead of refusing, and
// action=status telling it the room is full. Every audio file is a tone made here.
#include <boost/json.hpp>
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "brigade/storage/track_library.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server_fixture.hpp"
#include "support/audio_encode.hpp"
#include "support/temp_dir.hpp"
#include "tone_checks.hpp"

namespace brigade::integration {
namespace {

namespace json = boost::json;
using client::EncodedFormat;
using client::ExchangeParams;

constexpr Clock kChunk = 28'800;  // 600 ms, the browser's exchange
constexpr Clock kFrame = 2'880;   // one Opus packet
/// Backing tracks play at ×0.8 (load) × 0.2 (no metronome) × 1.2 (global volume).
constexpr double kBackingReplyGain = 0.8 * 0.2 * 1.2;

/// A 1×1 PNG (our own), and an SVG that must never be served back as an image.
const std::string kPng(
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9c"
    "c\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xae\x42\x60\x82",
    70);
const std::string kSvg = R"(<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>)";

/// `seconds` of a tone of amplitude 0.5 at `rate`, identical in `channels` interleaved channels.
std::vector<float> tone(double hz, int rate, int channels, double seconds) {
  const auto mono =
      client::sine(hz * kSampleRate / rate, 0.5f, static_cast<std::size_t>(seconds * rate));
  std::vector<float> out;
  for (const float v : mono) out.insert(out.end(), static_cast<std::size_t>(channels), v);
  return out;
}

std::string error_message(const client::HttpResponse& res) {
  boost::system::error_code ec;
  const json::value v = json::parse(res.body, ec);
  if (ec || !v.is_object()) return "";
  const auto* m = v.as_object().if_contains("message");
  return m && m->is_string() ? std::string(m->as_string()) : "";
}

/// The "adjusted" entries of a reply as "param: message" lines ("" when none).
std::string adjusted(const client::SingerReply& r) {
  const auto* a = r.reply.metadata.if_contains("adjusted");
  if (!a) return "";
  std::string out;
  for (const auto& e : a->as_array()) {
    out += std::string(e.at("param").as_string()) + ": " +
           std::string(e.at("message").as_string()) + "\n";
  }
  return out;
}

class OriginalClient : public ServerTest {
 protected:
  void SetUp() override {}  // each test starts its server with the flags it needs

  void start_server(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--tracks-dir", tracks_.path().string(), "--recordings-dir",
                                     recordings_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ServerTest::start_server(args);
  }

  /// Uploads `file` as the original page does, selects "User Upload" as its leader does and
  /// checks that the next bucket hears the `hz` tone from the song's start on, and not before.
  void expect_uploaded_track_plays(const std::string& file, double hz);

  testing::TempDir tracks_{"brigade-orig-tracks"};
  testing::TempDir recordings_{"brigade-orig-recordings"};
};

void OriginalClient::expect_uploaded_track_plays(const std::string& file, double hz) {
  start_server();
  const auto up = http_->post("/upload?type=backingTrack", file);
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(json::parse(http_->get("/api/tracks").body).at("tracks"),
            json::parse(R"(["User Upload"])"));

  // A follower at 11 s joins first, then the leader at 8 s takes the lead and picks the track.
  client::Singer follower(*http_, 2222, "Follower");
  client::Singer leader(*http_, 1111, "Leader");
  const Clock now = follower.connect(11.0);
  const Clock l = now - clock_from_seconds(8.0);
  leader.start_at(l - l % kFrame);
  std::vector<float> heard;
  Clock heard_begin = 0;
  auto follow = [&] {
    auto r = follower.exchange(kChunk);
    ASSERT_TRUE(r.ok()) << r.problem;
    if (heard.empty()) heard_begin = r.reply.client_read_clock - kChunk;
    heard.insert(heard.end(), r.pcm.begin(), r.pcm.end());
  };
  follow();
  ExchangeParams lead;
  lead.request_lead = true;
  const auto led = leader.exchange(kChunk, nullptr, lead);
  ASSERT_TRUE(led.ok()) << led.problem;
  EXPECT_EQ(led.reply.metadata.at("tracks"), json::parse(R"(["User Upload"])"));
  ExchangeParams select;
  select.track = std::string(kUserUploadTrackName);
  const auto selected = leader.exchange(kChunk, nullptr, select);
  ASSERT_TRUE(selected.ok()) << selected.problem;
  EXPECT_EQ(adjusted(selected), "");
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = leader.next_read_clock(kChunk);
  const auto started = leader.exchange(kChunk, nullptr, start);
  ASSERT_TRUE(started.ok()) << started.problem;
  ASSERT_EQ(started.reply.song_start_clock, song_start);

  while (heard_begin + static_cast<Clock>(heard.size()) < song_start + 3 * kSampleRate) {
    follow();
    if (HasFatalFailure()) return;
  }
  const double level = 0.5 * kBackingReplyGain;
  const double expected = level * level / 4;
  expect_tone_from_song_start(heard, heard_begin, song_start, hz, expected);
}

// --- Uploads ------------------------------------------------------------------------------------

TEST_F(OriginalClient, Mp3UploadedOnTheOriginalRouteIsTheUserUploadTrackAndPlays) {
  // 44.1 kHz stereo, as most MP3s are: converted to 48 kHz mono on upload.
  expect_uploaded_track_plays(
      client::encode_audio(tone(700.0, 44'100, 2, 6.0), 44'100, 2, EncodedFormat::kMp3), 700.0);
}

TEST_F(OriginalClient, WavUploadedOnTheOriginalRouteIsTheUserUploadTrackAndPlays) {
  expect_uploaded_track_plays(
      client::encode_audio(tone(900.0, kSampleRate, 1, 6.0), kSampleRate, 1, EncodedFormat::kWav16),
      900.0);
}

TEST_F(OriginalClient, AnotherUploadReplacesTheUserUploadTrack) {
  start_server();
  const auto flac =
      client::encode_audio(tone(500.0, 32'000, 1, 1.0), 32'000, 1, EncodedFormat::kFlac);
  ASSERT_EQ(http_->post("/upload?type=backingTrack", flac).status, 200);
  const auto aiff =
      client::encode_audio(tone(500.0, 44'100, 1, 2.0), 44'100, 1, EncodedFormat::kAiff16);
  const auto second = http_->post("/upload?type=backingTrack", aiff);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(json::parse(second.body).at("track"), "User Upload");
  EXPECT_EQ(json::parse(http_->get("/api/tracks").body).at("tracks"),
            json::parse(R"(["User Upload"])"));
  // Our own route still stores each upload under a new name, in any of the formats.
  const auto ours = http_->post("/api/upload", flac);
  ASSERT_EQ(ours.status, 200) << ours.body;
  EXPECT_TRUE(std::string(json::parse(ours.body).at("track").as_string()).starts_with("upload-"));
}

TEST_F(OriginalClient, UploadsOnBothRoutesAreBoundByTheTrackStorageCap) {
  // Room for one track: the original's "User Upload" takes it, and replacing it stays allowed
  // (the replaced file frees its own place); a new track on either route is refused with 507.
  start_server({"--max-tracks", "1"});
  const auto wav =
      client::encode_audio(tone(600.0, kSampleRate, 1, 1.0), kSampleRate, 1, EncodedFormat::kWav16);
  ASSERT_EQ(http_->post("/upload?type=backingTrack", wav).status, 200);
  const auto mp3 =
      client::encode_audio(tone(600.0, 44'100, 2, 1.0), 44'100, 2, EncodedFormat::kMp3);
  const auto again = http_->post("/upload?type=backingTrack", mp3);
  EXPECT_EQ(again.status, 200) << again.body;
  const auto full = http_->post("/api/upload", mp3);
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_NE(error_message(full).find("storage"), std::string::npos) << full.body;
  EXPECT_EQ(json::parse(http_->get("/api/tracks").body).at("tracks"),
            json::parse(R"(["User Upload"])"));
  // Counted under its own error reason.
  EXPECT_NE(http_->get("/metrics")
                .body.find(R"(brigade_errors_total{room="default",reason="storage_full"} 1)"),
            std::string::npos);
}

TEST_F(OriginalClient, ImageUploadIsServedWhereThePageFetchesIt) {
  start_server();
  const auto none = http_->get("/user-upload-image?ABCDEFGHIJ");
  EXPECT_EQ(none.status, 404);
  const auto up = http_->post("/upload?type=image", kPng);
  ASSERT_EQ(up.status, 200) << up.body;
  // The page asks for "user-upload-image?" + a token, relative to itself.
  const auto got = http_->get("/user-upload-image?KQWERTYUIO");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.header("Content-Type"), "image/png");
  EXPECT_EQ(got.header("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(got.body == kPng);

  // Script-capable or unknown content is refused, and the image stays.
  const auto svg = http_->post("/upload?type=image", kSvg);
  EXPECT_EQ(svg.status, 415);
  EXPECT_NE(error_message(svg).find("PNG, JPEG, GIF or WebP"), std::string::npos) << svg.body;
  EXPECT_EQ(http_->post("/upload?type=image", "").status, 400);
  EXPECT_TRUE(http_->get("/user-upload-image").body == kPng);

  // The page then sends image=upload; every singer is told to show it.
  client::Singer ann(*http_, 51, "Ann");
  client::Singer bob(*http_, 52, "Bob");
  ann.connect(3.0);
  bob.connect(6.0);
  ASSERT_TRUE(bob.exchange(kFrame).ok());
  ExchangeParams show;
  show.extra.emplace_back("image", "upload");
  ASSERT_TRUE(ann.exchange(kFrame, nullptr, show).ok());
  const auto seen = bob.exchange(kFrame);
  ASSERT_TRUE(seen.ok()) << seen.problem;
  const auto* token = seen.reply.metadata.if_contains("image");
  ASSERT_NE(token, nullptr);
  EXPECT_FALSE(token->as_string().empty());
}

TEST_F(OriginalClient, MalformedNonAudioAndOversizedUploadsAreRefusedClearly) {
  start_server({"--admin-token", "k"});
  const auto wav =
      client::encode_audio(tone(440.0, kSampleRate, 1, 0.5), kSampleRate, 1, EncodedFormat::kWav16);
  auto post = [&](const std::string& query, const std::string& body) {
    return http_->post("/upload?" + query, body);
  };
  // The admin gate holds on this route too.
  const auto no_token = post("type=backingTrack", wav);
  EXPECT_EQ(no_token.status, 403);
  EXPECT_EQ(post("type=image", kPng).status, 403);
  EXPECT_EQ(post("type=backingTrack&admin_token=k", wav).status, 200);

  struct Case {
    std::string query, body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"admin_token=k", wav, 400, "type must be backingTrack or image"},
      {"type=video&admin_token=k", wav, 400, "type must be backingTrack or image"},
      {"type=backingTrack&admin_token=k", "", 400, "empty upload"},
      {"type=backingTrack&admin_token=k", "just some text", 415, "not an audio file"},
      {"type=backingTrack&admin_token=k", kPng, 415, "not an audio file"},
      {"type=backingTrack&admin_token=k",
       client::encode_audio(tone(440.0, kSampleRate, 1, 0.5), kSampleRate, 1,
                            EncodedFormat::kOggVorbis),
       415, "Ogg files are not accepted"},
      {"type=backingTrack&admin_token=k", "ID3\x04 but no MP3 frames follow", 400, "MP3"},
      {"type=backingTrack&admin_token=k", wav.substr(0, 30), 400, "WAV"},
  };
  for (const auto& c : cases) {
    const auto res = post(c.query, c.body);
    EXPECT_EQ(res.status, c.status) << c.query << " " << c.body.substr(0, 12);
    EXPECT_EQ(res.header("Content-Type"), "application/json");
    EXPECT_NE(error_message(res).find(c.says), std::string::npos) << res.body;
  }
  EXPECT_EQ(http_->get("/upload?type=image").status, 405);
  // Over 32 MiB: 413 from the announced length, before the body is read.
  const auto big = http_->raw(
      "POST /upload?type=backingTrack&admin_token=k HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Length: " +
      std::to_string((std::size_t{32} << 20) + 1) + "\r\n\r\n");
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(error_message(big).find("32 MiB"), std::string::npos) << big.body;
  // Between the API's 1 MiB and the upload limit: read, then refused for its content.
  const auto mid = post("type=backingTrack&admin_token=k", std::string(std::size_t{2} << 20, 'x'));
  EXPECT_EQ(mid.status, 415) << mid.body;
  // Only the one good upload became a track.
  EXPECT_EQ(json::parse(http_->get("/api/tracks").body).at("tracks"),
            json::parse(R"(["User Upload"])"));
  expect_serving();
}

// --- Headers ------------------------------------------------------------------------------------

TEST_F(OriginalClient, StaticFilesCarryNoCrossOriginIsolationHeaders) {
  start_server();
  for (const char* path :
       {"/", "/index.html", "/app.js", "/audio-worklet.js", "/debug.html", "/style.css"}) {
    const auto res = http_->get(path);
    ASSERT_EQ(res.status, 200) << path;
    EXPECT_FALSE(res.has_header("Cross-Origin-Embedder-Policy")) << path;
    EXPECT_FALSE(res.has_header("Cross-Origin-Opener-Policy")) << path;
    EXPECT_EQ(res.header("Cache-Control"), "no-cache") << path;
  }
}

// --- Localhost mode -----------------------------------------------------------------------------

TEST_F(OriginalClient, RootApiPortAnswersTheClockAndAnExchangeAtItsRoot) {
  start_server({"--root-api-listen", "127.0.0.1:0"});
  std::smatch m;
  const std::string out = server_->output();
  ASSERT_TRUE(
      std::regex_search(out, m, std::regex(R"(API at the root of http://127\.0\.0\.1:(\d+)/)")))
      << out;
  client::HttpClient root("127.0.0.1", static_cast<std::uint16_t>(std::stoi(m[1].str())));

  const auto clock = root.get("/");
  ASSERT_EQ(clock.status, 200);
  const auto meta = json::parse(clock.header("X-Audio-Metadata")).as_object();
  EXPECT_EQ(meta.at("server_sample_rate"), kSampleRate);
  EXPECT_NEAR(static_cast<double>(meta.at("server_clock").to_number<std::int64_t>()),
              static_cast<double>(client::local_clock_now()), kSampleRate);
  const auto status = root.post("/?action=status", "");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(json::parse(status.body).at("max_users"), kTestMaxUsers);

  // An exchange at "/", as the page sends it to http://localhost:8081/.
  client::Singer singer(root, 61, "Local", "/");
  singer.connect(3.0);
  const auto r = singer.exchange(kChunk, nullptr);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.pcm.size(), static_cast<std::size_t>(kChunk));
  // The same room as the main port's API.
  EXPECT_EQ(json::parse(http_->post("/api?action=status", "").body).at("n_connected_users"), 1);
  // Uploads at "/?type=", as the page sends them to http://localhost:8082/.
  EXPECT_EQ(root.post("/?type=image", kPng).status, 200);
  EXPECT_TRUE(http_->get("/user-upload-image").body == kPng);
  // Paths below the root are the API's paths below /api.
  EXPECT_EQ(root.get("/tracks").status, 200);
  EXPECT_EQ(json::parse(root.get("/tracks").body).at("tracks"), json::array());
}

// --- Values the original accepted ----------------------------------------------------------------

TEST_F(OriginalClient, OverlongChatLineIsCutAndStillReachesTheOtherSingers) {
  start_server();
  client::Singer ann(*http_, 41, "Ann");
  client::Singer bob(*http_, 42, "Bob");
  ann.connect(3.0);
  bob.connect(6.0);
  ASSERT_TRUE(ann.exchange(kFrame).ok());
  ASSERT_TRUE(bob.exchange(kFrame).ok());
  // 1,500 two-byte characters (3,000 bytes); the cut falls on a character boundary.
  std::string line;
  for (int i = 0; i < 1500; ++i) line += "\xC3\xA9";
  ExchangeParams p;
  p.chat_json = json::serialize(json::array{"short one", line.c_str()});
  const auto sent = ann.exchange(kFrame, nullptr, p);
  ASSERT_TRUE(sent.ok()) << sent.problem;
  EXPECT_EQ(adjusted(sent), "chat: chat line of 3000 bytes cut to 2048 (limit 2048)\n");
  const auto r = bob.exchange(kFrame);
  ASSERT_TRUE(r.ok()) << r.problem;
  const auto& chats = r.reply.metadata.at("chats").as_array();
  ASSERT_EQ(chats.size(), 2u);
  EXPECT_EQ(chats[0].as_array().at(1).as_string(), "short one");
  EXPECT_EQ(chats[1].as_array().at(0).as_string(), "Ann");
  EXPECT_EQ(chats[1].as_array().at(1).as_string(), line.substr(0, 2048));
}

TEST_F(OriginalClient, VolumeAboveTheBoundIsAppliedAtTheBound) {
  start_server();
  client::Singer ann(*http_, 41, "Ann");
  client::Singer bob(*http_, 42, "Bob");
  ann.connect(3.0);
  bob.connect(6.0);
  ASSERT_TRUE(ann.exchange(kFrame).ok());
  ASSERT_TRUE(bob.exchange(kFrame).ok());
  ExchangeParams p;
  p.volume = 5;  // the original page's advanced field accepts any number
  p.backing_volume = -1;
  p.chat_json = R"(["and this still arrives"])";
  const auto sent = ann.exchange(kFrame, nullptr, p);
  ASSERT_TRUE(sent.ok()) << sent.problem;
  EXPECT_EQ(adjusted(sent),
            "volume: volume 5 is outside 0-3; applied 3\n"
            "backing_volume: backing_volume -1 is outside 0-3; applied 0\n");
  const auto r = bob.exchange(kFrame);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.reply.metadata.at("globalVolume").to_number<double>(), 3.0);
  EXPECT_EQ(r.reply.metadata.at("backingVolume").to_number<double>(), 0.0);
  EXPECT_EQ(r.reply.metadata.at("chats").as_array().size(), 1u);
  // Not a number is still malformed: refused, and nothing of it applied.
  ExchangeParams bad;
  bad.extra.emplace_back("volume", "loud");
  EXPECT_EQ(ann.exchange(kFrame, nullptr, bad).http.status, 400);
}

TEST_F(OriginalClient, UnknownTrackIsIgnoredAndTheRestOfTheExchangeApplies) {
  start_server();
  client::Singer ann(*http_, 41, "Ann");
  client::Singer bob(*http_, 42, "Bob");
  ann.connect(3.0);
  bob.connect(6.0);
  ASSERT_TRUE(ann.exchange(kFrame).ok());
  ASSERT_TRUE(bob.exchange(kFrame).ok());
  ExchangeParams p;
  p.track = "User Upload";  // selected before anything was uploaded
  p.chat_json = R"(["with a track that is not there"])";
  const auto sent = ann.exchange(kFrame, nullptr, p);
  ASSERT_TRUE(sent.ok()) << sent.problem;
  EXPECT_EQ(adjusted(sent), "track: track ignored: no such track: User Upload\n");
  const auto r = bob.exchange(kFrame);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.reply.metadata.at("chats").as_array().size(), 1u);
}

// --- Status -------------------------------------------------------------------------------------

TEST_F(OriginalClient, StatusTellsThePageTheRoomIsFullAndNamesTheInstance) {
  start_server({"--instance-name", "Test choir"});
  auto status = [&] { return json::parse(http_->post("/api?action=status", "").body).as_object(); };
  EXPECT_EQ(status().at("instance_name"), "Test choir");
  std::vector<std::unique_ptr<client::Singer>> singers;
  for (int i = 0; i < kTestMaxUsers; ++i) {
    singers.push_back(std::make_unique<client::Singer>(*http_, 100 + static_cast<std::uint64_t>(i),
                                                       "s" + std::to_string(i)));
    singers.back()->connect(3.0);
    ASSERT_TRUE(singers.back()->exchange(kFrame).ok()) << "singer " << i;
  }
  // What the original page checks before it joins: n_connected_users >= max_users.
  const auto full = status();
  EXPECT_GE(full.at("n_connected_users").to_number<int>(), full.at("max_users").to_number<int>());
  // A client that joins anyway gets 503 and is told when to retry.
  client::Singer late(*http_, 999, "Late");
  late.connect(3.0);
  const auto refused = late.exchange(kFrame);
  EXPECT_EQ(refused.http.status, 503);
  EXPECT_EQ(refused.http.header("Retry-After"), "10");
}

TEST_F(OriginalClient, RootApiPortKeepsOperatorsDataPrivate) {
  start_server({"--root-api-listen", "127.0.0.1:0", "--private", "--operator-token", "ops"});
  std::smatch m;
  const std::string out = server_->output();
  ASSERT_TRUE(
      std::regex_search(out, m, std::regex(R"(API at the root of http://127\.0\.0\.1:(\d+)/)")))
      << out;
  client::HttpClient root("127.0.0.1", static_cast<std::uint16_t>(std::stoi(m[1].str())));
  // /telemetry there is /api/telemetry: gated the same way.
  EXPECT_EQ(root.get("/telemetry").status, 401);
  EXPECT_EQ(root.get("/debug/state").status, 401);
  EXPECT_EQ(root.get("/").status, 200);  // the clock stays public
}

TEST_F(OriginalClient, TelemetryCarriesTheOriginalsServerFields) {
  start_server();
  const auto res = http_->get("/api/telemetry");
  ASSERT_EQ(res.status, 200);
  const auto t = json::parse(res.body).as_object();
  const double now_unix = static_cast<double>(client::local_clock_now()) / kSampleRate;
  EXPECT_NEAR(t.at("request_time").to_number<double>(), now_unix, 5.0);
  const auto& server = t.at("server").as_object();
  EXPECT_NEAR(server.at("server_startup_time").to_number<double>(), now_unix, 60.0);
  for (const char* key : {"server_uptime", "server_version", "server_branch", "server_clock",
                          "server_sample_rate", "n_connected_users", "queue_size"}) {
    EXPECT_TRUE(server.contains(key)) << key << " missing from " << res.body;
  }
  EXPECT_TRUE(t.at("clients").is_object());
}

}  // namespace
}  // namespace brigade::integration
