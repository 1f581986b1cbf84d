// Integration: per-singer stems. Three singers sing one song against the real server over real
// HTTP with real Opus, each their own tone, entering at different times and one with a gap;
// each stem must decode (Debian's opusdec) to that singer's tone only, placed at its write
// clock, and the stems mixed with the server's formula must reproduce the song's recording.
// A hostile singer (a name made of path and markup, 3 s uploads of padded 20 KB packets) must
// leave the recorder working.
//
// Timing: the singers read 12-15 s behind the server clock, so the whole song is in the server's
// past and the test sends it at once; the recorder finishes the mix (and the stems) when the
// last bucket and its margin have passed, a few seconds later.
#include <opus/opus.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "brigade/storage/wav.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server/recorder.hpp"
#include "server_fixture.hpp"
#include "support/ogg_opus_file.hpp"
#include "support/temp_dir.hpp"

namespace brigade::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using client::ExchangeParams;

constexpr Clock kChunk = 28'800;  // 600 ms, the browser's exchange
constexpr Clock kFrame = 2'880;   // one Opus packet
constexpr float kAmplitude = 0.1f;
/// The server's mix: leader boost friendly(1.1) on the leader, global volume 1.2, auto-gain.
constexpr double kLeaderBoost = 1.9958;
constexpr double kGlobalVolume = 1.2;
/// Where a singer enters after silence, the stem's decoder cross-fades 2.5 ms from the silence
/// into the singer's first packet (the server's fresh decoder does not); after a singer stops,
/// the stem plays the last packet's 2.5 ms overlap tail, which the server never decodes.
/// Comparisons skip both.
constexpr Clock kConverge = 240;
constexpr Clock kTail = 480;
/// The encoder's lookahead at 48 kHz: a decoded tone starts this much after its write clock,
/// in the server's mix and in the stem alike.
constexpr Clock kCodecDelay = 312;
/// Stems mixed with the server's formula against the 16-bit recording (measured 0.00005).
constexpr double kMixTolerance = 0.001;
/// How long the recorder may take to finish the song once sent.
constexpr std::chrono::seconds kRecordingTimeout{40};

/// One singer's part: its tone and the song-clock intervals (offsets from the song start) it
/// wrote, each sung continuously by a fresh connection (reset_user_state).
struct Part {
  std::uint64_t id;
  std::string name;
  double hz;
  bool leader;
  std::vector<std::pair<Clock, Clock>> sung;  ///< [begin, end) offsets from the song start
};

/// A recording's stems folder: "<song>.stems" next to "<song>.wav".
std::string stems_folder(const json::object& song) {
  const std::string wav(song.at("name").as_string());
  return wav.substr(0, wav.size() - 4) + ".stems";
}

class Stems : public ServerTest {
 protected:
  void SetUp() override { start_server({"--recordings-dir", recordings_.path().string()}); }

  /// Polls the listing until the newest recording is finished; returns its entry. Polled often:
  /// the stems read next must be complete from the first listing that says finished.
  json::object finished_recording() {
    const auto deadline = std::chrono::steady_clock::now() + kRecordingTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto res = http_->get("/api/recordings");
      EXPECT_EQ(res.status, 200);
      EXPECT_EQ(res.header("Content-Type"), "application/json");
      const auto index = json::parse(res.body).as_object();
      const auto& list = index.at("recordings").as_array();
      if (!list.empty() && list[0].as_object().at("finished").as_bool()) {
        return list[0].as_object();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no finished recording in " << kRecordingTimeout.count() << " s";
    return {};
  }

  std::vector<float> read_stem(const json::object& song, std::string_view name) {
    const fs::path path = recordings_.path() / stems_folder(song) / std::string(name);
    std::string out;
    EXPECT_EQ(client::run_command("opusinfo '" + path.string() + "'", out), 0) << out;
    EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
    return client::opusdec(path);
  }

  testing::TempDir recordings_{"brigade-stems"};
};

/// Whether offset t lies in one of the part's intervals, and (if so) how far into it.
std::optional<Clock> into(const Part& p, Clock t) {
  for (auto [b, e] : p.sung) {
    if (t >= b && t < e) return t - b;
  }
  return std::nullopt;
}

/// Opus has no frames shorter than 2.5 ms, so a gap in a singer's uploads is filled to within
/// 120 samples and the upload after it sits that remainder early (never late). The shift of
/// each interval of the stem, by that rule (0 for the first: the pre-skip places it exactly).
constexpr Clock kFillStep = 120;
std::vector<Clock> stem_shifts(const Part& p) {
  std::vector<Clock> shifts = {0};
  for (std::size_t k = 1; k < p.sung.size(); ++k) {
    const Clock written_end = p.sung[k - 1].second + shifts.back();
    shifts.push_back(-((p.sung[k].first - written_end) % kFillStep));
  }
  return shifts;
}

/// The stem sample that holds song offset t of a singer's interval k.
Clock stem_index(const Part& p, Clock t) {
  const auto shifts = stem_shifts(p);
  for (std::size_t k = 0; k < p.sung.size(); ++k) {
    if (t >= p.sung[k].first && t < p.sung[k].second) return t + shifts[k];
  }
  return t;
}

/// Near an exit: within kTail after an interval's end.
bool after_exit(const Part& p, Clock t) {
  for (auto [b, e] : p.sung) {
    if (t >= e && t < e + kTail) return true;
  }
  return false;
}

TEST_F(Stems, EachSingerHasTheirOwnStemOnTheSongClockAndTheStemsSumToTheMix) {
  // Song offsets: 10 chunks (6 s) for the leader; the first follower enters 0.87 s in (not on
  // any grid); the second sings, stops, and comes back 0.9 s later on a fresh connection.
  constexpr Clock kSong = 10 * kChunk;
  std::vector<Part> parts = {
      {1111, "Leader", 350.0, true, {{0, kSong}}},
      {2222, "Alto Ünïcode", 620.0, false, {{41'777, 41'777 + 8 * kChunk}}},
      {3333,
       "Bass",
       910.0,
       false,
       {{14'400, 14'400 + 4 * kChunk}, {173'300, 173'300 + 3 * kChunk}}},
  };
  client::Singer leader(*http_, 1111, parts[0].name);
  client::Singer alto(*http_, 2222, parts[1].name);
  client::Singer bass(*http_, 3333, parts[2].name);
  // The followers are present when the leader takes the lead, so the recorder waits for their
  // buckets.
  alto.connect(15.0);
  bass.connect(15.0);
  ASSERT_TRUE(alto.exchange(kChunk).ok());
  ASSERT_TRUE(bass.exchange(kChunk).ok());
  leader.connect(12.0);
  ExchangeParams lead;
  lead.request_lead = true;
  ASSERT_TRUE(leader.exchange(kChunk, nullptr, lead).ok());
  ExchangeParams start;
  start.mark_start_singing = true;
  const auto started = leader.exchange(kChunk, nullptr, start);
  ASSERT_TRUE(started.ok()) << started.problem;
  const Clock song_start = started.reply.song_start_clock;
  ASSERT_EQ(song_start, leader.next_read_clock(kChunk) - kChunk);

  // Everyone sings their intervals, uploading their tone on the song clock.
  auto sing = [&](client::Singer& s, const Part& p) {
    for (auto [b, e] : p.sung) {
      s.start_at(song_start + b + kChunk);
      for (Clock at = b; at < e; at += kChunk) {
        const auto pcm = client::sine(p.hz, kAmplitude, kChunk, song_start + at);
        const auto r = s.exchange(kChunk, &pcm);
        ASSERT_TRUE(r.ok()) << p.name << ": " << r.problem;
      }
    }
  };
  sing(leader, parts[0]);
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  const auto stopped = leader.exchange(kChunk, nullptr, stop);
  ASSERT_TRUE(stopped.ok()) << stopped.problem;
  EXPECT_EQ(stopped.reply.song_end_clock, song_start + kSong);
  sing(alto, parts[1]);
  sing(bass, parts[2]);

  const json::object song = finished_recording();
  ASSERT_FALSE(song.empty());
  const auto& stems = song.at("stems").as_array();
  ASSERT_EQ(stems.size(), 3u) << json::serialize(song);
  std::vector<std::string> names;
  for (const auto& s : stems) names.emplace_back(s.as_object().at("name").as_string());
  EXPECT_EQ(names, (std::vector<std::string>{"Alto___n__code-2222.opus", "Bass-3333.opus",
                                             "Leader-1111.opus"}));

  // Each stem: its singer's tone only, silent elsewhere, entering at its write clock.
  std::vector<std::vector<float>> decoded;
  for (const Part& p : parts) {
    const std::string file = (p.name == "Leader" ? "Leader-1111.opus"
                              : p.id == 2222     ? "Alto___n__code-2222.opus"
                                                 : "Bass-3333.opus");
    decoded.push_back(read_stem(song, file));
    const auto& pcm = decoded.back();
    ASSERT_EQ(static_cast<Clock>(pcm.size()), p.sung.back().second + stem_shifts(p).back())
        << file << ": ends with the singer";
    const double own = kAmplitude * kAmplitude / 4;
    for (Clock at = 0; at + kFrame <= static_cast<Clock>(pcm.size()); at += kFrame) {
      const auto block = std::span(pcm).subspan(static_cast<std::size_t>(at), kFrame);
      const auto in = into(p, at);
      const bool sung = in && *in >= kFrame && into(p, at + kFrame - 1);
      if (sung) {
        EXPECT_NEAR(client::goertzel_power(block, p.hz), own, own * 0.2) << file << " at " << at;
        for (const Part& other : parts) {
          if (other.id == p.id) continue;
          EXPECT_LT(client::goertzel_power(block, other.hz), own * 1e-3)
              << file << " hears " << other.name << " at " << at;
        }
      } else if (!in && !after_exit(p, at) && !into(p, at + kFrame - 1)) {
        EXPECT_LT(client::mean_square(block), 1e-8) << file << " not silent at " << at;
      }
    }
    // The first sample of the tone (after the codec's 6.5 ms lookahead) at the write clock.
    Clock onset = 0;
    while (onset < static_cast<Clock>(pcm.size()) && std::abs(pcm[onset]) < kAmplitude / 4) ++onset;
    const Clock late = onset - p.sung.front().first;
    std::printf("stem %s: onset %lld samples after its first write clock\n", file.c_str(),
                static_cast<long long>(late));
    EXPECT_GE(late, 0) << file;
    EXPECT_LT(late, kFrame) << file << ": placed within one Opus frame";
    // In fact exactly: the encoder's 6.5 ms lookahead, give or take the tone's first crossing.
    EXPECT_NEAR(static_cast<double>(late), kCodecDelay, 30.0) << file;
  }

  // The mix as recorded (16-bit WAV) against the stems mixed with the server's formula.
  const fs::path mix_path = recordings_.path() / std::string(song.at("name").as_string());
  const auto mix = read_wav_file(mix_path);
  ASSERT_TRUE(mix) << mix.error();
  ASSERT_EQ(static_cast<Clock>(mix.value().size()), kSong);
  double err = 0, sig = 0;
  Clock compared = 0;
  for (Clock t = 0; t < kSong; ++t) {
    int writers = 0;
    double voices = 0;
    bool skip = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto in = into(parts[i], t);
      // Also skip the few samples a shifted interval leaves uncovered at its end.
      skip = skip || (in && *in < kConverge) || after_exit(parts[i], t + kFillStep);
      if (!in) continue;
      ++writers;
      voices += (parts[i].leader ? kLeaderBoost : 1.0) *
                decoded[i][static_cast<std::size_t>(stem_index(parts[i], t))];
    }
    if (skip) continue;
    const double expected = kGlobalVolume * std::sqrt(3.0 / (writers + 2)) * voices;
    const double d = mix.value()[static_cast<std::size_t>(t)] - expected;
    err += d * d;
    sig += expected * expected;
    ++compared;
  }
  const double relative = std::sqrt(err / sig);
  std::printf("stems vs mix: relative RMS difference %.5f over %lld of %lld samples\n", relative,
              static_cast<long long>(compared), static_cast<long long>(kSong));
  EXPECT_GT(compared, kSong * 3 / 4);
  EXPECT_LT(relative, kMixTolerance) << "the stems mixed as the server mixes are the recording";

  // Downloads: each stem byte for byte as audio/ogg, and all of them as one tar.
  const std::string dir = stems_folder(song);
  for (const auto& s : stems) {
    const auto res = http_->get(std::string(s.as_object().at("url").as_string()));
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Type"), "audio/ogg");
    std::ifstream f(recordings_.path() / dir / std::string(s.as_object().at("name").as_string()),
                    std::ios::binary);
    EXPECT_TRUE(res.body == std::string(std::istreambuf_iterator<char>(f), {}));
  }
  const auto tar = http_->get(std::string(song.at("stems_archive").as_string()));
  ASSERT_EQ(tar.status, 200);
  EXPECT_EQ(tar.header("Content-Type"), "application/x-tar");
  EXPECT_EQ(tar.header("Content-Length"), std::to_string(tar.body.size()));
  testing::TempDir unpacked{"brigade-stems-tar"};
  std::ofstream(unpacked.path() / "stems.tar", std::ios::binary) << tar.body;
  std::string listing;
  ASSERT_EQ(
      client::run_command("tar -tf '" + (unpacked.path() / "stems.tar").string() + "'", listing), 0)
      << listing;
  for (const auto& n : names)
    EXPECT_NE(listing.find(dir + "/" + n + "\n"), std::string::npos) << listing;
  std::string out;
  ASSERT_EQ(client::run_command("tar -xf '" + (unpacked.path() / "stems.tar").string() + "' -C '" +
                                    unpacked.path().string() + "'",
                                out),
            0);
  for (const auto& n : names) {
    std::ifstream a(unpacked.path() / dir / n, std::ios::binary);
    std::ifstream b(recordings_.path() / dir / n, std::ios::binary);
    EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(a), {}) ==
                std::string(std::istreambuf_iterator<char>(b), {}))
        << n;
  }

  // The listing gives the archive; /metrics counts the stems.
  EXPECT_EQ(std::string(song.at("stems_archive").as_string()), "/recordings/" + dir + ".tar");
  std::int64_t total = song.at("bytes").to_number<std::int64_t>();
  for (const auto& s : stems) total += s.as_object().at("bytes").to_number<std::int64_t>();
  EXPECT_EQ(song.at("total_bytes").to_number<std::int64_t>(), total);
  const auto metrics = http_->get("/metrics").body;
  EXPECT_NE(metrics.find("brigade_stem_files_total{room=\"default\"} 3\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("brigade_stem_uploads_dropped_total{room=\"default\"} 0\n"),
            std::string::npos);
  EXPECT_EQ(http_->get("/recordings/" + dir + "/../x.opus").status, 404);
  EXPECT_EQ(http_->get("/recordings/" + dir + "/Nobody-1.opus").status, 404);
  EXPECT_EQ(http_->get("/recordings/no-such-song.stems.tar").status, 404);
}

TEST_F(Stems, HostileNamesAndHugeUploadsLeaveTheRecorderWorking) {
  client::Singer leader(*http_, 4444, "../../etc/<script>\n");
  leader.connect(12.0);
  ExchangeParams lead;
  lead.request_lead = true;
  ASSERT_TRUE(leader.exchange(kChunk, nullptr, lead).ok());
  ExchangeParams start;
  start.mark_start_singing = true;
  const auto started = leader.exchange(kChunk, nullptr, start);
  ASSERT_TRUE(started.ok());
  const Clock song_start = started.reply.song_start_clock;

  // Two 3 s uploads (the most one exchange takes) of 50 packets each padded to 20,000 bytes: a
  // 1 MB request body, with packets that span Ogg pages.
  constexpr Clock kUpload = 50 * kFrame;
  client::OpusPipe codec;
  for (int i = 0; i < 2; ++i) {
    auto packets = codec.encode(client::sine(440.0, kAmplitude, kUpload, song_start + i * kUpload));
    for (auto& p : packets) {
      const auto len = static_cast<opus_int32>(p.size());
      p.resize(20'000);
      ASSERT_EQ(opus_packet_pad(p.data(), len, 20'000), OPUS_OK);
    }
    ExchangeParams x;
    x.userid = 4444;
    x.username = "../../etc/<script>\n";
    x.read_clock = song_start + (i + 1) * kUpload;
    x.write_clock = x.read_clock;
    x.n_samples = kUpload;
    x.reset_user_state = i == 0;
    const auto res = http_->post(client::exchange_target(x), client::build_body("", packets));
    ASSERT_EQ(res.status, 200) << res.body;
  }
  ExchangeParams stop;
  stop.userid = 4444;
  stop.read_clock = song_start + 3 * kUpload;
  stop.n_samples = kUpload;
  stop.mark_stop_singing = true;
  ASSERT_EQ(http_->post(client::exchange_target(stop), "").status, 200);

  const json::object song = finished_recording();
  ASSERT_FALSE(song.empty());
  const auto& stems = song.at("stems").as_array();
  ASSERT_EQ(stems.size(), 1u) << json::serialize(song);
  const std::string name(stems[0].as_object().at("name").as_string());
  EXPECT_EQ(name, "______etc__script__-4444.opus") << "a plain name inside the song's folder";
  const auto pcm = read_stem(song, name);
  EXPECT_EQ(static_cast<Clock>(pcm.size()), 2 * kUpload);
  const double p = client::goertzel_power(std::span(pcm).subspan(kUpload, kFrame * 10), 440.0);
  EXPECT_NEAR(p, kAmplitude * kAmplitude / 4, kAmplitude * kAmplitude / 4 * 0.2);
  // The ARTIST comment keeps the name as sent (the file name is what had to be safe).
  std::string info;
  client::run_command(
      "opusinfo '" + (recordings_.path() / stems_folder(song) / name).string() + "'", info);
  EXPECT_NE(info.find("ARTIST=../../etc/<script>"), std::string::npos) << info;
  expect_serving();
}

/// The niceness of the server's thread named `name` (from /proc/PID/task/TID/stat), or
/// nullopt when it has no such thread.
std::optional<int> thread_nice(pid_t pid, std::string_view name) {
  for (const auto& task :
       fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat;
    std::getline(stat_file, stat);
    // Fields after the name's closing parenthesis: state is field 3, nice field 19.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 19; ++i) fields >> field;
    int nice = 0;
    fields >> nice;
    return nice;
  }
  return std::nullopt;
}

TEST_F(Stems, TheRecorderThreadYieldsTheCoreToTheSingers) {
  // Its file writes must not hold exchanges off a busy core (server/recorder.hpp). The thread
  // names itself and lowers its priority as it starts, which can come after the server first
  // answers (CI's ASan run once looked too early and found no such thread): wait for it.
  std::optional<int> nice;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    nice = thread_nice(server_->pid(), server::Recorder::kThreadName);
    if (nice == server::Recorder::kThreadNice) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(nice) << "no thread named " << server::Recorder::kThreadName;
  EXPECT_EQ(*nice, server::Recorder::kThreadNice);
  EXPECT_GT(*nice, 0);
}

}  // namespace
}  // namespace brigade::integration
