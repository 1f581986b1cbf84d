// Integration: everything a choir needs beyond singing, against the real server over real HTTP
// with real Opus: backing tracks, the metronome, rounds, the mixing console's mic volume, song
// recordings, track uploads, the admin token, and the operators' metrics and telemetry.
//
// Timing: the singers read far behind the server clock, so most of a song is already in the
// server's past when it is read and the tests rarely wait. The clock model still holds: every
// read ends at or before the server clock (client::Singer sleeps when it would not), and a
// rounds copy is only written once it ends in the server's past.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "brigade/engine/backing.hpp"
#include "brigade/engine/clock.hpp"
#include "brigade/storage/track_library.hpp"
#include "brigade/storage/wav.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server_fixture.hpp"
#include "support/temp_dir.hpp"
#include "tone_checks.hpp"

namespace brigade::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using client::ExchangeParams;
using client::SingerReply;

constexpr Clock kChunk = 28'800;  // 600 ms, the browser's exchange
constexpr Clock kFrame = 2'880;   // one Opus packet
constexpr Clock kMs = kSampleRate / 1000;
/// Each Opus pass (encode + decode) delays audio by the encoder's lookahead: 6.5 ms at 48 kHz.
/// Backing and clicks pass once (server → listener), voices twice (singer → server → listener).
constexpr Clock kCodecDelay = 312;
/// Reply level of the leader's voice with one writer: leader boost × auto-gain 1 × global 1.2.
constexpr double kLeaderReplyGain = 1.996 * 1.2;

/// A unique directory under the system temp directory, removed with everything in it.
class TempDir : public testing::TempDir {
 public:
  explicit TempDir(const std::string& tag) : testing::TempDir("brigade-features-" + tag) {}
};

/// A server per test with its own tracks and recordings directories; flags on top of those
/// come from the test.
class Features : public ServerTest {
 protected:
  void SetUp() override {}  // each test starts its server with the flags it needs

  void start_server(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--tracks-dir", tracks_.path().string(), "--recordings-dir",
                                     recordings_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ServerTest::start_server(args);
  }

  /// Writes a mono 16-bit 48 kHz WAV into the tracks directory.
  void write_track(const std::string& name, const std::vector<float>& samples) {
    auto writer = WavWriter::create(tracks_.path() / (name + ".wav"));
    ASSERT_TRUE(writer) << writer.error();
    ASSERT_TRUE(writer.value().append(samples));
    ASSERT_TRUE(writer.value().finish());
  }

  TempDir tracks_{"tracks"};
  TempDir recordings_{"recordings"};
};

/// A string-valued metadata key of a reply, if present.
std::optional<std::string> meta_string(const client::ExchangeReply& r, std::string_view key) {
  if (const auto* v = r.metadata.if_contains(key); v && v->is_string()) {
    return std::string(v->as_string());
  }
  return std::nullopt;
}

/// A leader and one follower in one room, sharing one connection. The follower joins first so
/// that request_lead counts it; its decoded replies are kept as one contiguous recording.
class Choir {
 public:
  static constexpr std::uint64_t kLeaderId = 1111;
  static constexpr std::uint64_t kFollowerId = 2222;

  /// Both read behind one clock reading: the leader `leader_offset` seconds, the follower
  /// `follower_offset` seconds (whole 60 ms frames).
  Choir(client::HttpClient& http, double leader_offset, double follower_offset)
      : leader_(http, kLeaderId, "Leader"), follower_(http, kFollowerId, "Follower") {
    const Clock now = follower_.connect(follower_offset);
    const Clock l = now - clock_from_seconds(leader_offset);
    leader_.start_at(l - l % kFrame);
  }

  /// One leader exchange; uploads `pcm` when given. Throws when the reply is not a good 200.
  SingerReply lead(const std::vector<float>* pcm, ExchangeParams p = {}) {
    auto r = leader_.exchange(kChunk, pcm, std::move(p));
    if (!r.ok()) throw std::runtime_error("leader exchange: " + r.problem);
    return r;
  }
  /// One leader exchange uploading a tone (or silence when amplitude is 0) for its interval.
  SingerReply lead_tone(double hz, float amplitude, ExchangeParams p = {}) {
    const auto pcm = client::sine(hz, amplitude, kChunk, leader_begin());
    return lead(&pcm, std::move(p));
  }
  /// One follower exchange; its audio is appended to heard(). Throws unless a good 200.
  SingerReply follow(ExchangeParams p = {}) {
    auto r = follower_.exchange(kChunk, nullptr, std::move(p));
    if (!r.ok()) throw std::runtime_error("follower exchange: " + r.problem);
    if (heard_.empty()) heard_begin_ = r.reply.client_read_clock - kChunk;
    heard_.insert(heard_.end(), r.pcm.begin(), r.pcm.end());
    replies_.push_back(r.reply);
    return r;
  }
  /// Follows until the follower has heard everything before `clock`.
  void follow_until(Clock clock) {
    while (heard_end() < clock) follow();
  }

  /// Start of the leader's next interval.
  Clock leader_begin() const { return leader_.next_read_clock(kChunk) - kChunk; }
  /// What the follower heard of [begin, begin + n).
  std::span<const float> heard(Clock begin, Clock n) const {
    if (begin < heard_begin_ || begin + n > heard_end()) {
      throw std::out_of_range("not heard: " + std::to_string(begin - heard_begin_));
    }
    return std::span<const float>(heard_).subspan(static_cast<std::size_t>(begin - heard_begin_),
                                                  static_cast<std::size_t>(n));
  }
  Clock heard_begin() const { return heard_begin_; }
  Clock heard_end() const { return heard_begin_ + static_cast<Clock>(heard_.size()); }
  const std::vector<client::ExchangeReply>& follower_replies() const { return replies_; }

 private:
  client::Singer leader_;
  client::Singer follower_;
  std::vector<float> heard_;
  Clock heard_begin_ = 0;
  std::vector<client::ExchangeReply> replies_;
};

/// The usual opening: the follower joins, the leader joins and takes the lead (with `lead`'s
/// other settings), and both replies are returned (follower first).
std::pair<SingerReply, SingerReply> open_room(Choir& choir, ExchangeParams lead = {},
                                              bool leader_sings = false) {
  auto joined = choir.follow();
  lead.request_lead = true;
  auto led = leader_sings ? choir.lead_tone(440.0, 0.0f, lead) : choir.lead(nullptr, lead);
  return {joined, led};
}

/// Sample offsets where `power` of a window of `window` samples (taken every `hop` samples)
/// rises to `threshold` after at least `gap` samples below it.
std::vector<Clock> onsets(std::span<const float> pcm, Clock window, Clock hop, double threshold,
                          Clock gap, const std::function<double(std::span<const float>)>& power) {
  std::vector<Clock> out;
  std::optional<Clock> last_above;
  for (Clock at = 0; at + window <= static_cast<Clock>(pcm.size()); at += hop) {
    const double p =
        power(pcm.subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(window)));
    if (p < threshold) continue;
    if (!last_above || at - *last_above >= gap) out.push_back(at);
    last_above = at;
  }
  return out;
}

/// The value of an unlabelled or labelled Prometheus sample line `name{labels} value`.
std::optional<double> metric(const std::string& text, const std::string& series) {
  std::size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return std::nullopt;
}

/// A WAV file image: 16-bit PCM, little-endian, `channels` interleaved copies of `samples`.
std::string wav_image(const std::vector<std::int16_t>& samples, std::uint32_t rate,
                      std::uint16_t channels) {
  std::string out;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto u16 = [&](std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
  };
  const auto data_bytes = static_cast<std::uint32_t>(samples.size() * 2 * channels);
  out += "RIFF";
  u32(36 + data_bytes);
  out += "WAVEfmt ";
  u32(16);
  u16(1);  // PCM
  u16(channels);
  u32(rate);
  u32(rate * 2 * channels);
  u16(static_cast<std::uint16_t>(2 * channels));
  u16(16);
  out += "data";
  u32(data_bytes);
  for (const auto s : samples) {
    for (std::uint16_t c = 0; c < channels; ++c) u16(static_cast<std::uint16_t>(s));
  }
  return out;
}

/// The JSON error body of a 4xx reply: its "message", or "" when the body is not one.
std::string error_message(const client::HttpResponse& res) {
  boost::system::error_code ec;
  const json::value v = json::parse(res.body, ec);
  if (ec || !v.is_object()) return "";
  const auto* m = v.as_object().if_contains("message");
  return m && m->is_string() ? std::string(m->as_string()) : "";
}

// --- 1. Backing track -----------------------------------------------------------------------

TEST_F(Features, BackingTrackPlaysFromTheSongStartForTheLastBucket) {
  constexpr double kTrackHz = 700.0;
  constexpr float kTrackAmplitude = 0.5f;
  write_track("steady", client::sine(kTrackHz, kTrackAmplitude, 20 * kSampleRate));
  start_server();

  Choir choir(*http_, 8.0, 11.0);
  auto [joined, led] = open_room(choir);
  ASSERT_NE(joined.reply.metadata.if_contains("tracks"), nullptr);
  EXPECT_EQ(json::serialize(joined.reply.metadata.at("tracks")), R"(["steady"])");
  EXPECT_EQ(led.reply.delay_seconds, 3);

  ExchangeParams select;
  select.track = "steady";
  choir.lead(nullptr, select);
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = choir.leader_begin() + kChunk;
  const auto started = choir.lead(nullptr, start);
  EXPECT_EQ(started.reply.song_start_clock, song_start);
  EXPECT_EQ(meta_string(started.reply, "backing_track_type"), "Backing Track");

  // The follower (the last bucket) reads from before the song until 3 s into it.
  choir.follow_until(song_start + 3 * kSampleRate);
  bool announced = false;
  for (const auto& r : choir.follower_replies()) {
    if (r.delay_seconds) {
      EXPECT_EQ(*r.delay_seconds, 6);  // the only follower: bucket 6 s
    }
    announced = announced || meta_string(r, "backing_track_type") == "Backing Track";
  }
  EXPECT_TRUE(announced) << "the follower was never told a backing track plays";

  // Track ×0.8 at load, ×0.2 (backing without metronome), ×1.2 global volume.
  const double level = kTrackAmplitude * kBackingTrackGain * 0.2 * 1.2;
  const double expected = level * level / 4;
  expect_tone_from_song_start(
      choir.heard(choir.heard_begin(), choir.heard_end() - choir.heard_begin()),
      choir.heard_begin(), song_start, kTrackHz, expected);
  if (HasFatalFailure()) return;

  // The first sample of the track sits at song_start_clock: the tone's onset (10 ms Goertzel
  // windows; a window reaches a quarter of the full power when half of it holds the tone) lies
  // one codec delay after it, give or take a few milliseconds.
  const Clock from = song_start - 20 * kFrame;
  const auto heard = choir.heard(from, choir.heard_end() - from);
  const auto starts =
      onsets(heard, 10 * kMs, kMs, expected / 4, kSampleRate,
             [&](std::span<const float> w) { return client::goertzel_power(w, kTrackHz); });
  ASSERT_EQ(starts.size(), 1u);
  const Clock onset = from + starts[0] + 5 * kMs - song_start;
  EXPECT_NEAR(static_cast<double>(onset), static_cast<double>(kCodecDelay), 3.0 * kMs)
      << "track onset " << onset << " samples after the song start (one codec pass)";
}

// --- 2. Metronome -------------------------------------------------------------------------------

TEST_F(Features, MetronomeClicksEveryBeatFromTheSongStart) {
  start_server();
  Choir choir(*http_, 8.0, 11.0);
  ExchangeParams tempo;
  tempo.bpm = 120;
  open_room(choir, tempo);
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = choir.leader_begin() + kChunk;
  const auto started = choir.lead(nullptr, start);
  EXPECT_EQ(started.reply.song_start_clock, song_start);
  EXPECT_EQ(meta_string(started.reply, "backing_track_type"), "Metronome");

  choir.follow_until(song_start + 4 * kSampleRate + 300 * kMs);
  bool announced = false, told_bpm = false;
  for (const auto& r : choir.follower_replies()) {
    announced = announced || meta_string(r, "backing_track_type") == "Metronome";
    if (const auto* v = r.metadata.if_contains("bpm"); v && v->is_int64() && v->as_int64() == 120)
      told_bpm = true;
  }
  EXPECT_TRUE(announced) << "the follower was never told the metronome plays";
  EXPECT_TRUE(told_bpm) << "the follower was never told the tempo";

  // Burst onsets: 1 ms energy windows rising above a tenth of the loudest after 100 ms of quiet.
  const Clock from = choir.heard_begin();
  const auto heard = choir.heard(from, choir.heard_end() - from);
  double loudest = 0.0;
  for (Clock at = 0; at + kMs <= static_cast<Clock>(heard.size()); at += kMs) {
    loudest = std::max(loudest, client::mean_square(heard.subspan(static_cast<std::size_t>(at),
                                                                  static_cast<std::size_t>(kMs))));
  }
  ASSERT_GT(loudest, 1e-3) << "no clicks at all";
  const auto clicks = onsets(heard, kMs, kMs, loudest / 10, 100 * kMs,
                             [](std::span<const float> w) { return client::mean_square(w); });

  const Clock beat = beat_samples(120);
  ASSERT_EQ(beat, kSampleRate / 2);
  // Beats at song_start + k·beat up to the end of what was heard. The heard span ends on the
  // 60 ms grid and beats fall on the 500 ms grid from the same origin, so a beat is either at
  // least 20 ms before the end (its delayed onset is heard) or not before it at all.
  const Clock expected_clicks = (choir.heard_end() - 20 * kMs - song_start) / beat + 1;
  ASSERT_EQ(static_cast<Clock>(clicks.size()), expected_clicks);
  const Clock first = from + clicks[0] - song_start;
  EXPECT_NEAR(static_cast<double>(first), static_cast<double>(kCodecDelay), 3.0 * kMs)
      << "first click " << first << " samples after the song start (one codec pass)";
  for (std::size_t i = 1; i < clicks.size(); ++i) {
    const Clock spacing = clicks[i] - clicks[i - 1];
    EXPECT_NEAR(static_cast<double>(spacing), static_cast<double>(beat), 2.0 * kMs)
        << "click " << i;
  }
}

// --- 3. Rounds ----------------------------------------------------------------------------------

TEST_F(Features, RoundsRepeatThePhraseEveryRound) {
  // bpm 60 × 2 beats per round → R = 2 s; 2 repeats. (bpm > 0 also starts the metronome: its
  // clicks at 1.5 kHz stay far below the 440 Hz detector's threshold.)
  constexpr int kBpm = 60, kBpr = 2, kRepeats = 2;
  constexpr Clock kRound = 2 * kSampleRate;
  constexpr double kToneHz = 440.0;
  constexpr float kAmplitude = 0.2f;
  start_server();

  Choir choir(*http_, 9.0, 12.0);
  ExchangeParams rounds;
  rounds.bpm = kBpm;
  rounds.bpr = kBpr;
  rounds.repeats = kRepeats;
  choir.follow();
  choir.lead_tone(kToneHz, 0.0f, rounds);  // settings first, as the page's "update" sends them
  ExchangeParams lead;
  lead.request_lead = true;
  const auto led = choir.lead_tone(kToneHz, 0.0f, lead);
  // With rounds the first bucket moves back by the rounds' length (§6.2): 4 s + 3 s.
  EXPECT_EQ(led.reply.delay_seconds, 7);
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = choir.leader_begin() + kChunk;
  EXPECT_EQ(choir.lead_tone(kToneHz, 0.0f, start).reply.song_start_clock, song_start);

  // The phrase: silence for 0.6 s, the tone for 1.2 s, then silence. Each write waits until its
  // last copy ends in the server's past (the server skips copies into the future).
  auto sing = [&](float amplitude) {
    client::wait_for_clock(choir.leader_begin() + kChunk + kRepeats * kRound);
    choir.lead_tone(kToneHz, amplitude);
  };
  sing(0.0f);
  sing(kAmplitude);
  sing(kAmplitude);
  sing(0.0f);
  const Clock phrase = song_start + kChunk;

  choir.follow_until(song_start + 3 * kRound + kChunk);
  bool told = false;
  for (const auto& r : choir.follower_replies()) {
    if (r.delay_seconds) {
      EXPECT_EQ(*r.delay_seconds, 10);  // the follower's bucket also moves back by 4 s
      told = true;
    }
  }
  EXPECT_TRUE(told);

  const double level = kAmplitude * kLeaderReplyGain;
  const double expected = level * level / 4;
  const Clock from = song_start - kChunk;
  const auto heard = choir.heard(from, choir.heard_end() - from);
  const auto starts =
      onsets(heard, 10 * kMs, kMs, expected / 4, 200 * kMs,
             [&](std::span<const float> w) { return client::goertzel_power(w, kToneHz); });
  ASSERT_EQ(starts.size(), 1u + kRepeats) << "the phrase and each repeat";
  const Clock first = from + starts[0] + 5 * kMs - phrase;
  EXPECT_NEAR(static_cast<double>(first), static_cast<double>(2 * kCodecDelay), 3.0 * kMs)
      << "phrase onset " << first << " samples after it was sung (two codec passes)";
  for (int k = 1; k <= kRepeats; ++k) {
    EXPECT_NEAR(static_cast<double>(starts[static_cast<std::size_t>(k)] - starts[0]),
                static_cast<double>(k * kRound), 2.0 * kMs)
        << "repeat " << k;
  }
  // Each repeat is as loud as the phrase (one writer each, the same gains).
  for (int k = 0; k <= kRepeats; ++k) {
    const double p =
        client::goertzel_power(choir.heard(phrase + k * kRound + 4 * kFrame, 8 * kFrame), kToneHz);
    EXPECT_GT(p, expected * 0.25) << "round " << k;
    EXPECT_LT(p, expected * 4) << "round " << k;
  }
}

// --- 4. Mic volume ------------------------------------------------------------------------------

TEST_F(Features, MicVolumeZeroSilencesThatSingerForListeners) {
  constexpr double kToneHz = 440.0;
  constexpr float kAmplitude = 0.2f;
  start_server();
  Choir choir(*http_, 8.0, 11.0);
  open_room(choir, {}, /*leader_sings=*/true);
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = choir.leader_begin() + kChunk;
  choir.lead_tone(kToneHz, 0.0f, start);

  // 1.8 s of tone at the default mic volume, then the console sets the leader's to 0, then
  // 1.8 s more of the same tone.
  for (int i = 0; i < 3; ++i) choir.lead_tone(kToneHz, kAmplitude);
  const Clock muted_from = choir.leader_begin();
  ExchangeParams console;
  console.user_summary = true;
  console.mic_volume_json = "[[\"" + std::to_string(Choir::kLeaderId) + "\", 0]]";
  choir.follow(console);
  for (int i = 0; i < 3; ++i) choir.lead_tone(kToneHz, kAmplitude);
  const Clock muted_to = choir.leader_begin();

  ExchangeParams summary;
  summary.user_summary = true;
  const auto r = choir.follow(summary);
  const auto leader_record =
      std::find_if(r.reply.summary.begin(), r.reply.summary.end(),
                   [](const client::SummaryRecord& s) { return s.user_id == Choir::kLeaderId; });
  ASSERT_NE(leader_record, r.reply.summary.end());
  EXPECT_EQ(leader_record->mic_volume, 0.0f);
  choir.follow_until(muted_to + kChunk);

  const double level = kAmplitude * kLeaderReplyGain;
  const double expected = level * level / 4;
  int loud = 0, quiet = 0;
  for (Clock at = song_start + kFrame; at + 2 * kFrame <= muted_to; at += kFrame) {
    const double p = client::goertzel_power(choir.heard(at, kFrame), kToneHz);
    if (at + kFrame < muted_from) {
      EXPECT_GT(p, expected * 0.25) << "default volume: no tone at " << at - song_start;
      ++loud;
    } else if (at >= muted_from + kFrame) {
      EXPECT_LT(p, expected * 1e-4) << "volume 0: tone at " << at - song_start;
      ++quiet;
    }
  }
  EXPECT_GE(loud, 25);
  EXPECT_GE(quiet, 25);
}

// --- 5. Recording -------------------------------------------------------------------------------

TEST_F(Features, FinishedSongIsRecordedAsTheLastBucketHeardIt) {
  constexpr double kToneHz = 440.0;
  constexpr float kAmplitude = 0.2f;
  start_server();
  // The leader reads 12 s behind the server, so the song is over (in server time) about 7 s
  // after it started in real time.
  Choir choir(*http_, 12.0, 15.0);
  open_room(choir, {}, /*leader_sings=*/true);
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = choir.leader_begin() + kChunk;
  choir.lead_tone(kToneHz, 0.0f, start);
  constexpr int kChunks = 5;  // 3 s of tone
  for (int i = 0; i < kChunks; ++i) choir.lead_tone(kToneHz, kAmplitude);
  const Clock song_end = choir.leader_begin();
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  const auto stopped = choir.lead(nullptr, stop);
  EXPECT_EQ(stopped.reply.song_end_clock, song_end);
  EXPECT_EQ(meta_string(stopped.reply, "backing_track_type"), "");

  // The recorder trails the last bucket (9 s with one follower) by 3 s more; the song ended
  // about 7 s ago in server time, so no finished recording can exist yet.
  auto finished_names = [&] {
    const auto res = http_->get("/api/recordings");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Type"), "application/json");
    std::vector<std::string> names;
    const json::value listing = json::parse(res.body);
    for (const auto& e : listing.at("recordings").as_array()) {
      EXPECT_EQ(e.at("url").as_string(), "/recordings/" + std::string(e.at("name").as_string()));
      EXPECT_EQ(e.at("song_start_clock").to_number<Clock>(), song_start);
      if (e.at("finished").as_bool()) names.emplace_back(e.at("name").as_string());
    }
    return names;
  };
  ASSERT_LT(client::local_clock_now(), song_end + 12 * kSampleRate);
  EXPECT_TRUE(finished_names().empty()) << "finished too early";

  // Poll the listing until the recording is finished (the recorder needs up to ~8 s more).
  std::string name;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (name.empty() && std::chrono::steady_clock::now() < deadline) {
    const auto names = finished_names();
    if (!names.empty()) name = names.front();
    if (name.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(name.empty()) << "no finished recording listed";
  EXPECT_TRUE(name.ends_with(".wav")) << name;

  // Exactly the song: song_end_clock − song_start_clock samples, the tone throughout.
  const auto samples = read_wav_file(recordings_.path() / name);
  ASSERT_TRUE(samples) << samples.error();
  const auto& pcm = samples.value();
  EXPECT_EQ(static_cast<Clock>(pcm.size()), song_end - song_start);
  EXPECT_EQ(static_cast<Clock>(pcm.size()), kChunks * kChunk);
  const double level = kAmplitude * kLeaderReplyGain;
  const double expected = level * level / 4;
  for (std::size_t at = kFrame; at + 2 * kFrame <= pcm.size(); at += kFrame) {
    const double p = client::goertzel_power(std::span(pcm).subspan(at, kFrame), kToneHz);
    EXPECT_GT(p, expected * 0.25) << "no tone at " << at;
    EXPECT_LT(p, expected * 4) << "tone too loud at " << at;
  }

  // Downloadable as audio/wav, byte for byte the file.
  const auto res = http_->get("/recordings/" + name);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Content-Type"), "audio/wav");
  std::ifstream file(recordings_.path() / name, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(res.body.size(), bytes.size());
  EXPECT_TRUE(res.body == bytes);
  EXPECT_EQ(http_->get("/recordings/no-such.wav").status, 404);
}

TEST_F(Features, AWriteErrorStopsTheRecordingWithAValidFileAndOneLogLine) {
  // The server may write files of at most this size (RLIMIT_FSIZE, set on the running server):
  // about 1.5 s of audio, while the song lasts 3 s. Odd, so the failing write ends mid-sample.
  constexpr rlim_t kFileSizeLimit = 150'001;
  capture_stderr_ = true;
  start_server();
  const rlimit limit{kFileSizeLimit, kFileSizeLimit};
  ASSERT_EQ(::prlimit(server_->pid(), RLIMIT_FSIZE, &limit, nullptr), 0) << strerror(errno);
  Choir choir(*http_, 12.0, 15.0);
  open_room(choir, {}, /*leader_sings=*/true);
  ExchangeParams start;
  start.mark_start_singing = true;
  choir.lead_tone(440.0, 0.0f, start);
  for (int i = 0; i < 5; ++i) choir.lead_tone(440.0, 0.2f);
  const Clock song_end = choir.leader_begin();
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  choir.lead(nullptr, stop);

  // Wait until the recorder is past the song's end (last bucket 9 s + 3 s margin + polling).
  while (client::local_clock_now() < song_end + 14 * kSampleRate) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(recordings_.path())) {
    if (e.path().extension() == ".wav") files.push_back(e.path());
  }
  ASSERT_EQ(files.size(), 1u);
  const auto size = fs::file_size(files[0]);
  EXPECT_LE(size, kFileSizeLimit);
  EXPECT_GT(size, kFileSizeLimit / 2);  // what reached the disk is kept
  const auto samples = read_wav_file(files[0]);
  ASSERT_TRUE(samples) << samples.error();
  EXPECT_EQ(samples.value().size() * 2 + kWavHeaderBytes, size);  // header agrees with the data
  // Listed as a finished recording (its header sizes match its length).
  const auto listing = http_->get("/api/recordings");
  ASSERT_EQ(listing.status, 200);
  const auto list = boost::json::parse(listing.body).at("recordings").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("name").as_string(), files[0].filename().string());
  EXPECT_EQ(list[0].at("finished"), true);
  // One log line for the whole song, however many blocks failed after it.
  const std::string log = server_->output();
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = log.find("recording stopped", at)) != std::string::npos; ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
  expect_serving();
}

// --- 6. Upload ----------------------------------------------------------------------------------

TEST_F(Features, UploadRejectsNonAudioAndOversizeAndPublishesValidTracks) {
  start_server();
  const auto before = http_->get("/api/tracks");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.header("Content-Type"), "application/json");
  EXPECT_EQ(before.body, R"({"tracks":[]})");

  // Not audio: 415 with a JSON message; an MP3 signature without MP3 frames: 400.
  const auto text = http_->post("/api/upload", "this is not audio");
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(text.header("Content-Type"), "application/json");
  EXPECT_NE(error_message(text).find("not an audio file"), std::string::npos) << text.body;
  const auto junk = http_->post("/api/upload", "ID3 this is an mp3, honest");
  EXPECT_EQ(junk.status, 400);
  EXPECT_NE(error_message(junk).find("MP3"), std::string::npos) << junk.body;
  EXPECT_EQ(http_->post("/api/upload", "").status, 400);

  // Over 32 MiB: 413 from the announced length, before any body is read.
  const auto big = http_->raw(
      "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
      "Content-Length: " +
      std::to_string((std::size_t{32} << 20) + 1) + "\r\n\r\n");
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(error_message(big).find("32 MiB"), std::string::npos) << big.body;
  // ... and from the size of a chunk when no length is announced.
  const auto chunked = http_->raw(
      "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
      "chunked\r\n\r\n2000001\r\n");
  EXPECT_EQ(chunked.status, 413);
  EXPECT_NE(error_message(chunked).find("32 MiB"), std::string::npos) << chunked.body;
  // Over the API's 1 MiB but within the upload limit: refused for its content, not its size.
  // (Not a full 32 MiB: a Debug or sanitizer server needs seconds to read that much.)
  const auto mid = http_->post("/api/upload", std::string(std::size_t{2} << 20, 'x'));
  EXPECT_EQ(mid.status, 415) << mid.body;
  EXPECT_EQ(json::serialize(json::parse(http_->get("/api/tracks").body)), R"({"tracks":[]})");

  // A valid WAV (1 s, mono 16-bit 48 kHz): stored under a new name, listed at once, bit-exact.
  std::vector<std::int16_t> pcm(kSampleRate);
  const auto tone = client::sine(523.25, 0.5f, pcm.size());
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = static_cast<std::int16_t>(std::lround(tone[i] * 32767.0f));
  }
  const auto ok = http_->post("/api/upload", wav_image(pcm, kSampleRate, 1));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("Content-Type"), "application/json");
  const json::object reply = json::parse(ok.body).as_object();
  const std::string name(reply.at("track").as_string());
  EXPECT_TRUE(name.starts_with("upload-")) << name;
  const auto listed = json::parse(http_->get("/api/tracks").body).as_object();
  EXPECT_EQ(json::serialize(listed.at("tracks")), "[\"" + name + "\"]");

  const auto stored = read_wav_file(tracks_.path() / (name + ".wav"));
  ASSERT_TRUE(stored) << stored.error();
  ASSERT_EQ(stored.value().size(), pcm.size());
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    ASSERT_EQ(stored.value()[i], static_cast<float>(pcm[i]) / 32768.0f) << "sample " << i;
  }

  // Another rate and channel count is converted to 48 kHz mono: 0.5 s at 24 kHz stereo.
  std::vector<std::int16_t> half(kSampleRate / 4, 1000);
  const auto converted = http_->post("/api/upload", wav_image(half, kSampleRate / 2, 2));
  ASSERT_EQ(converted.status, 200) << converted.body;
  const std::string second(json::parse(converted.body).as_object().at("track").as_string());
  const auto again = read_wav_file(tracks_.path() / (second + ".wav"));
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again.value().size(), static_cast<std::size_t>(kSampleRate / 2));
  const auto both = json::parse(http_->get("/api/tracks").body).as_object().at("tracks").as_array();
  EXPECT_EQ(both.size(), 2u);
}

// --- 7. Admin token -----------------------------------------------------------------------------

/// One room-wide control, as a one-off request of user `id` (reset_user_state, so it needs
/// no continuity with earlier ones) sent with the token in the query, in the header, or not
/// at all.
enum class Token { kNone, kWrong, kQuery, kHeader };

client::HttpResponse control(client::HttpClient& http, std::uint64_t id, ExchangeParams p,
                             Token token) {
  const Clock now = client::local_clock_now() - kSampleRate;
  p.userid = id;
  p.read_clock = now - now % kFrame;
  p.n_samples = kFrame;
  p.username = "Conductor";
  p.reset_user_state = true;
  if (token == Token::kQuery) p.extra.emplace_back("admin_token", "open sesame");
  if (token == Token::kWrong) p.extra.emplace_back("admin_token", "open sesame!");
  const std::string target = client::exchange_target(p);
  if (token != Token::kHeader) return http.post(target, "");
  return http.raw("POST " + target +
                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Token: open sesame\r\n"
                  "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

/// The room-wide controls, each alone.
std::vector<std::pair<std::string, ExchangeParams>> room_wide_controls() {
  std::vector<std::pair<std::string, ExchangeParams>> out;
  ExchangeParams p;
  p.volume = 1.5;
  out.emplace_back("volume", p);
  p = {};
  p.backing_volume = 0.5;
  out.emplace_back("backing_volume", p);
  p = {};
  p.disable_auto_gain = true;
  out.emplace_back("disableAutoGain", p);
  p = {};
  p.track = "steady";
  out.emplace_back("track", p);
  p = {};
  p.clear_events = true;
  out.emplace_back("clear_events", p);
  p = {};
  p.mark_stop_singing = true;
  out.emplace_back("mark_stop_singing", p);
  return out;
}

TEST_F(Features, AdminTokenGuardsRoomWideControls) {
  write_track("steady", client::sine(700.0, 0.5f, kSampleRate));
  start_server({"--admin-token", "open sesame"});
  constexpr std::uint64_t kConductor = 3333;
  // A leader with a song in progress, so that a non-leader's stop would halt it.
  Choir choir(*http_, 8.0, 11.0);
  open_room(choir);
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = choir.lead(nullptr, start).reply.song_start_clock;
  ASSERT_GT(song_start, 1);

  for (const auto& [what, params] : room_wide_controls()) {
    for (const Token t : {Token::kNone, Token::kWrong}) {
      const auto res = control(*http_, kConductor, params, t);
      EXPECT_EQ(res.status, 403) << what << ": " << res.body;
      EXPECT_NE(error_message(res).find("admin"), std::string::npos) << what << ": " << res.body;
    }
  }
  // Nothing changed: no volume was broadcast and the song still runs.
  auto r = choir.follow();
  EXPECT_EQ(r.reply.metadata.if_contains("globalVolume"), nullptr);
  EXPECT_EQ(r.reply.song_start_clock, song_start);

  for (const auto& [what, params] : room_wide_controls()) {
    for (const Token t : {Token::kQuery, Token::kHeader}) {
      const auto res = control(*http_, kConductor, params, t);
      EXPECT_EQ(res.status, 200) << what << (t == Token::kQuery ? " (query)" : " (header)") << ": "
                                 << res.body;
    }
  }
  r = choir.follow();
  const auto* volume = r.reply.metadata.if_contains("globalVolume");
  ASSERT_NE(volume, nullptr) << "the accepted volume was not broadcast";
  EXPECT_DOUBLE_EQ(volume->to_number<double>(), 1.5);
  EXPECT_EQ(r.reply.song_start_clock, 1) << "the conductor's stop halts the song";

  // Adding tracks is an operator's action too.
  const std::string wav =
      wav_image(std::vector<std::int16_t>(kSampleRate / 10, 100), kSampleRate, 1);
  const auto refused = http_->post("/api/upload", wav);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(json::serialize(json::parse(http_->get("/api/tracks").body)),
            R"({"tracks":["steady"]})");
  EXPECT_EQ(http_->post("/api/upload?admin_token=open+sesame", wav).status, 200);

  // A leader stopping its own song needs no token.
  ExchangeParams lead;
  lead.request_lead = true;
  choir.lead(nullptr, lead);
  choir.lead(nullptr, start);
  ExchangeParams stop;
  stop.mark_stop_singing = true;
  EXPECT_NE(choir.lead(nullptr, stop).reply.song_end_clock, 0);
}

TEST_F(Features, WithoutAdminTokenAnyoneMayUseRoomWideControls) {
  write_track("steady", client::sine(700.0, 0.5f, kSampleRate));
  start_server();
  for (const auto& [what, params] : room_wide_controls()) {
    const auto res = control(*http_, 3333, params, Token::kNone);
    EXPECT_EQ(res.status, 200) << what << ": " << res.body;
  }
  const std::string wav =
      wav_image(std::vector<std::int16_t>(kSampleRate / 10, 100), kSampleRate, 1);
  EXPECT_EQ(http_->post("/api/upload", wav).status, 200);
}

// --- 8. Metrics and telemetry -------------------------------------------------------------------

TEST_F(Features, MetricsAndTelemetryDescribeTheRoom) {
  const std::string token = "telemetry-must-not-show-this";
  start_server({"--admin-token", token});
  auto scrape = [&] {
    const auto res = http_->get("/metrics");
    EXPECT_EQ(res.status, 200);
    EXPECT_TRUE(res.header("Content-Type").starts_with("text/plain")) << res.header("Content-Type");
    EXPECT_NE(res.body.find("# TYPE brigade_http_requests_total counter"), std::string::npos);
    return res.body;
  };
  // The server-wide /metrics labels each room's series (the default room here).
  const std::string ok_series = R"(brigade_http_requests_total{room="default",code="200"})";
  const std::string singers_series = R"(brigade_active_singers{room="default"})";

  Choir choir(*http_, 4.0, 5.0);
  const std::string first = scrape();
  const auto ok_before = metric(first, ok_series);
  ASSERT_TRUE(ok_before) << first;
  EXPECT_EQ(metric(first, singers_series), 0.0);

  constexpr int kRounds = 3;
  for (int i = 0; i < kRounds; ++i) {
    choir.follow();
    choir.lead(nullptr);
  }
  const std::string second = scrape();
  // The first scrape and the six exchanges, all 200.
  EXPECT_EQ(metric(second, ok_series), *ok_before + 1 + 2 * kRounds) << second;
  EXPECT_EQ(metric(second, singers_series), 2.0) << second;

  const auto res = http_->get("/api/telemetry");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  EXPECT_EQ(res.body.find(token), std::string::npos) << "telemetry leaks the admin token";
  const json::object t = json::parse(res.body).as_object();
  const json::object& clients = t.at("clients").as_object();
  EXPECT_EQ(clients.size(), 2u);
  ASSERT_TRUE(clients.contains(std::to_string(Choir::kLeaderId))) << res.body;
  ASSERT_TRUE(clients.contains(std::to_string(Choir::kFollowerId))) << res.body;
  EXPECT_EQ(clients.at(std::to_string(Choir::kLeaderId)).at("name"), "Leader");
  EXPECT_EQ(t.at("server").at("n_connected_users"), 2);
  EXPECT_EQ(t.at("server").at("admin_token_required"), true);
}

}  // namespace
}  // namespace brigade::integration
