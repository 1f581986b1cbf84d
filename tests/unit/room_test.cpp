#include "brigade/engine/room.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace brigade {
namespace {

constexpr Clock kT0 = 80'000'000'000'000;  // a realistic server clock
constexpr Clock kN = 28'800;               // one 600 ms exchange
constexpr Clock kSecond = kSampleRate;

std::vector<float> tone(double hz, float amplitude, Clock n = kN) {
  std::vector<float> out(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = amplitude * static_cast<float>(std::sin(2 * std::numbers::pi * hz *
                                                     static_cast<double>(i) / kSampleRate));
  }
  return out;
}

// One Room per test (each holds ~80 MB of rings), driven through its public API with a clock the
// test moves. Singers keep a fixed delay behind the server clock, so consecutive requests taken
// one exchange apart are continuous by construction.
class RoomTest : public ::testing::Test {
 protected:
  ManualSampleClock clock{kT0};
  std::unique_ptr<Room> room = make(RoomConfig{.max_users = 1000, .seed = 1});
  std::vector<float> audio, backing;
  std::vector<WriterCount> writers;
  ExchangeResult result;

  std::unique_ptr<Room> make(RoomConfig config) { return std::make_unique<Room>(clock, config); }

  // A request from `id` reading the kN samples ending `delay` before now.
  ExchangeRequest request(UserId id, Clock delay) const {
    ExchangeRequest r;
    r.user_id = id;
    r.name = "singer" + std::to_string(id);
    r.read_clock = clock.now() - delay;
    r.n_samples = kN;
    r.user_summary = true;
    return r;
  }
  // The same, also uploading at the read clock (what the leader's chain position writes).
  ExchangeRequest upload_request(UserId id, Clock delay) const {
    ExchangeRequest r = request(id, delay);
    r.write_clock = r.read_clock;
    return r;
  }

  ExchangeOutcome exchange(const ExchangeRequest& req, std::span<const float> upload) {
    // Poison the buffers so a test sees exactly what the room copied in.
    audio.assign(static_cast<std::size_t>(req.n_samples), -9.0f);
    backing.assign(static_cast<std::size_t>(req.n_samples), -9.0f);
    writers.assign(static_cast<std::size_t>(req.n_samples), WriterCount{-9});
    result = ExchangeResult{};
    return room->exchange(req, upload, ExchangeBuffers{audio, backing, writers}, result);
  }
  ExchangeOutcome exchange(const ExchangeRequest& req) {
    const std::vector<float> silence(static_cast<std::size_t>(req.n_samples), 0.0f);
    return exchange(req, silence);
  }
  void ok(const ExchangeRequest& req, std::span<const float> upload) {
    const auto outcome = exchange(req, upload);
    ASSERT_TRUE(outcome.ok()) << static_cast<int>(outcome.reason);
  }
  void ok(const ExchangeRequest& req) {
    const auto outcome = exchange(req);
    ASSERT_TRUE(outcome.ok()) << static_cast<int>(outcome.reason);
  }
  void tick() { clock.advance(kN); }
  // Singer `id` leads (3 s behind now) and starts a song in one request.
  void start_song(UserId id) {
    ExchangeRequest lead = request(id, 3 * kSecond);
    lead.controls.request_lead = true;
    lead.controls.mark_start_singing = true;
    ok(lead);
  }

  // The reply the listener hears: the copied buffers through the reply formula.
  std::vector<float> rendered() {
    EXPECT_EQ(result.source, ReplySource::kMix);
    std::vector<float> out = audio;
    render_reply(out, backing, writers, result.levels);
    return out;
  }
  std::int64_t occupied_frames() {
    OccupancySnapshot snap;
    room->snapshot_occupancy(snap);
    return snap.count();
  }
};

TEST_F(RoomTest, FirstExchangeOfANewUser) {
  room->set_tracks({"a.mp3", "b.mp3"});
  ExchangeRequest req = request(7, 3 * kSecond);
  req.name = "";
  ok(req);
  EXPECT_EQ(result.server_clock, kT0);
  EXPECT_EQ(result.last_request_clock, kT0);  // first request: the previous one is "now"
  EXPECT_EQ(result.client_read_clock, kT0 - 3 * kSecond);
  EXPECT_FALSE(result.client_write_clock.has_value());
  EXPECT_EQ(result.n_samples, kN);
  EXPECT_EQ(result.song.stage(), SongStage::kNone);
  EXPECT_FALSE(result.leader.has_value());
  EXPECT_EQ(result.n_connected_users, 1);
  EXPECT_EQ(result.source, ReplySource::kSilence);
  // The initial state keys, once.
  const PendingKeys& d = result.delivered;
  EXPECT_EQ(d.first_bucket, 3);
  EXPECT_EQ(d.bpm, 0);
  EXPECT_EQ(d.repeats, 0);
  EXPECT_EQ(d.bpr, 0);
  EXPECT_TRUE(d.tracks);
  ASSERT_TRUE(result.tracks);
  EXPECT_EQ(*result.tracks, (std::vector<std::string>{"a.mp3", "b.mp3"}));
  ASSERT_TRUE(d.global_volume.has_value());
  EXPECT_NEAR(*d.global_volume, scalar_to_friendly(1.2), 1e-9);
  ASSERT_TRUE(d.backing_volume.has_value());
  EXPECT_NEAR(*d.backing_volume, scalar_to_friendly(1.0), 1e-9);
  EXPECT_FALSE(d.delay_seconds.has_value());
  EXPECT_TRUE(d.chats.empty());
  // The summary lists the one singer, under the anonymous name, 3 s behind.
  ASSERT_TRUE(result.summary);
  ASSERT_EQ(result.summary->size(), 1u);
  EXPECT_EQ(result.summary->front().name, "<anonymous>");
  EXPECT_EQ(summary_delay_seconds(result.summary->front().delay_samples), 3);
  EXPECT_EQ(room->status().n_connected_users, 1);

  // The second exchange delivers nothing again, and without user_summary there is no block.
  tick();
  req = request(7, 3 * kSecond);
  req.user_summary = false;
  ok(req);
  EXPECT_FALSE(result.delivered.first_bucket.has_value());
  EXPECT_FALSE(result.delivered.tracks);
  EXPECT_FALSE(result.tracks);
  EXPECT_FALSE(result.summary);
  EXPECT_EQ(result.last_request_clock, kT0);  // the previous request's clock
  EXPECT_EQ(result.server_clock, kT0 + kN);
}

TEST_F(RoomTest, ReadClockDesyncIsRefusedUntilResetUserState) {
  ok(request(1, 3 * kSecond));
  tick();
  // A gap of one sample: desync.
  ExchangeRequest gap = request(1, 3 * kSecond);
  gap.read_clock -= 1;
  auto outcome = exchange(gap);
  EXPECT_EQ(outcome.status, ExchangeStatus::kBadRequest);
  EXPECT_EQ(outcome.reason, Refusal::kReadDesync);
  // reset_user_state forgets the continuity: any read clock is accepted once.
  gap.reset_user_state = true;
  ok(gap);
  tick();
  ExchangeRequest next = request(1, 3 * kSecond);
  next.read_clock -= 1;  // continues from the reset request
  ok(next);
}

TEST_F(RoomTest, WriteClockDesyncIsRefused) {
  ok(upload_request(1, 3 * kSecond));
  tick();
  ExchangeRequest req = upload_request(1, 3 * kSecond);
  *req.write_clock -= kN;  // writes the same block again
  auto outcome = exchange(req);
  EXPECT_EQ(outcome.status, ExchangeStatus::kBadRequest);
  EXPECT_EQ(outcome.reason, Refusal::kWriteDesync);
  // The read part was fine, and was not consumed by the refused request: it still continues.
  ok(upload_request(1, 3 * kSecond));
  // A request without write_clock is fine too, and the next write continues after the last one.
  tick();
  ok(request(1, 3 * kSecond));
  tick();
  ExchangeRequest late = upload_request(1, 3 * kSecond);
  *late.write_clock = kT0 + kN - 3 * kSecond + kN;  // the one after the last write
  ok(late);
}

TEST_F(RoomTest, RefusedRequestChangesNothing) {
  ok(request(2, 6 * kSecond));  // a listener
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  ok(lead);
  tick();
  ok(request(2, 6 * kSecond));
  // A desynchronized request that would start the song, chat, set volumes and stop nothing.
  ExchangeRequest bad = upload_request(1, 3 * kSecond);
  bad.read_clock += 1;
  bad.write_clock = bad.read_clock;
  bad.controls.mark_start_singing = true;
  bad.controls.chat = {"hello"};
  bad.controls.volume = 0.5;
  bad.controls.mic_volume = {{2, 0.0}};
  const auto outcome = exchange(bad, tone(440, 0.5f));
  ASSERT_EQ(outcome.status, ExchangeStatus::kBadRequest);
  // Nothing of it happened: no song, no chat, no volume change, no upload, no request counted.
  RoomSnapshot snap;
  room->snapshot(snap);
  EXPECT_EQ(snap.song.stage(), SongStage::kNone);
  EXPECT_EQ(snap.requests, 3u);  // the refused one is not counted
  EXPECT_EQ(snap.occupancy.count(), 0);
  for (const auto& s : snap.singers) EXPECT_FLOAT_EQ(s.mic_volume, 1.0f) << s.id;
  // The leader's continuity was not advanced by the refused request: it continues as before.
  ok(request(1, 3 * kSecond));
  EXPECT_FALSE(result.song.started());
  tick();
  ok(request(2, 6 * kSecond));
  EXPECT_FALSE(result.song.started());
  EXPECT_TRUE(result.delivered.chats.empty());
  EXPECT_FALSE(result.delivered.global_volume.has_value());
  EXPECT_EQ(result.leader, UserId{1});
}

TEST_F(RoomTest, ClocksOutsideTheRingOrInTheFutureAreRefused) {
  ok(upload_request(1, 3 * kSecond));
  auto refused = [&](ExchangeRequest req, const char* what) {
    req.reset_user_state = true;  // so only the clock rule can refuse it
    const auto outcome = exchange(req);
    EXPECT_EQ(outcome.status, ExchangeStatus::kBadRequest) << what;
    EXPECT_FALSE(outcome.ok()) << what;
  };
  tick();
  ExchangeRequest future_read = request(1, 0);
  future_read.read_clock = clock.now() + 1;
  refused(future_read, "read into the future");

  ExchangeRequest future_write = upload_request(1, 3 * kSecond);
  future_write.write_clock = clock.now() + 1;
  refused(future_write, "write in the future");

  ExchangeRequest old_write = upload_request(1, 3 * kSecond);
  old_write.write_clock = clock.now() - kRingSamples + kN - 1;  // starts one sample too early
  refused(old_write, "write too old");

  ExchangeRequest old_read = request(1, kRingSamples - kN + 1);
  refused(old_read, "read older than the ring");

  ExchangeRequest zero_n = request(1, 3 * kSecond);
  zero_n.n_samples = 0;
  refused(zero_n, "n_samples 0");
  ExchangeRequest huge_n = request(1, 10 * kSecond);
  huge_n.n_samples = kMaxExchangeSamples + 1;
  refused(huge_n, "n_samples too large");

  // The boundaries themselves are accepted: reading up to now, writing exactly one ring back.
  ExchangeRequest edge = request(1, 0);
  edge.write_clock = clock.now() - kRingSamples + kN;
  edge.reset_user_state = true;
  ok(edge);

  // An upload whose length is not n_samples.
  tick();
  const auto outcome = exchange(upload_request(1, 0), std::vector<float>(kN - 1, 0.0f));
  EXPECT_EQ(outcome.status, ExchangeStatus::kBadRequest);
}

TEST_F(RoomTest, ExtremeClocksAreRefusedWithoutOverflow) {
  // The parser bounds wire clocks to [0, kMaxClock]; the room must stay defined for any int64
  // anyway (this test runs under UBSan in the ASan tree, where an overflow aborts).
  ok(upload_request(1, 3 * kSecond));
  constexpr Clock kMin = std::numeric_limits<Clock>::min();
  constexpr Clock kMax = std::numeric_limits<Clock>::max();
  for (const Clock c : {kMin, kMin + 1, Clock{-1}, Clock{0}, kMaxClock, kMax - 1, kMax}) {
    SCOPED_TRACE(c);
    for (const bool reset : {true, false}) {
      ExchangeRequest read = request(1, 3 * kSecond);
      read.read_clock = c;
      read.reset_user_state = reset;
      EXPECT_EQ(exchange(read).status, ExchangeStatus::kBadRequest);
      ExchangeRequest write = upload_request(1, 3 * kSecond);
      write.write_clock = c;
      write.reset_user_state = reset;
      EXPECT_EQ(exchange(write, tone(440, 0.5f)).status, ExchangeStatus::kBadRequest);
    }
  }
  // None of them touched the singer: its delay is still 3 s and its clocks continue.
  tick();
  ok(upload_request(1, 3 * kSecond));
  RoomSnapshot snap;
  room->snapshot(snap);
  ASSERT_EQ(snap.singers.size(), 1u);
  EXPECT_EQ(snap.singers[0].delay_samples, 3 * kSecond);
}

TEST_F(RoomTest, NoSongMeansSilenceAndUploadsAreNotMixed) {
  const auto voice = tone(440, 0.5f);
  ok(upload_request(1, 3 * kSecond), voice);
  EXPECT_EQ(result.source, ReplySource::kSilence);
  EXPECT_EQ(occupied_frames(), 0);
  // A later reader of that very interval hears silence too.
  clock.advance(3 * kSecond);
  ok(request(2, 6 * kSecond));
  EXPECT_EQ(result.source, ReplySource::kSilence);
  EXPECT_EQ(result.n_people_heard, 0);
  EXPECT_FALSE(result.song.started());
}

TEST_F(RoomTest, RequestLeadDeliversDelaysToLeaderFollowersAndSpectators) {
  ok(request(2, 6 * kSecond));
  ExchangeRequest spectator = request(3, 18 * kSecond);
  spectator.spectator = true;
  ok(spectator);
  ExchangeRequest lead = request(1, 10 * kSecond);
  lead.controls.request_lead = true;
  ok(lead);
  EXPECT_EQ(result.delivered.delay_seconds, 3);
  EXPECT_EQ(result.delivered.first_bucket, 3);
  EXPECT_EQ(result.delivered.lyrics, "");
  EXPECT_EQ(result.delivered.image, "");
  EXPECT_EQ(result.leader, UserId{1});
  tick();
  ok(request(2, 6 * kSecond));
  EXPECT_EQ(result.delivered.delay_seconds, 6);  // the one follower: first bucket after 3 s
  EXPECT_EQ(result.delivered.first_bucket, 3);
  EXPECT_EQ(result.leader, UserId{1});
  spectator = request(3, 18 * kSecond);
  spectator.spectator = true;
  ok(spectator);
  EXPECT_EQ(result.delivered.delay_seconds, 9);  // behind the last used bucket
  EXPECT_EQ(result.delivered.first_bucket, 3);
}

TEST_F(RoomTest, LeadersSongIsHeardByALaterReaderWithAutoGainAndGlobalVolume) {
  const Clock kLeader = 3 * kSecond, kFollower = 6 * kSecond, kListener = 9 * kSecond;
  ok(request(2, kFollower));
  ok(request(3, kListener));
  ExchangeRequest lead = request(1, kLeader);
  lead.controls.request_lead = true;
  ok(lead);
  tick();
  ExchangeRequest start = upload_request(1, kLeader);
  start.controls.mark_start_singing = true;
  ok(start, tone(440, 0.25f));
  const Clock song_start = start.read_clock;
  EXPECT_EQ(result.song.start(), song_start);
  ok(request(2, kFollower));
  ok(request(3, kListener));
  // The leader sings the block right after the start.
  tick();
  const auto voice = tone(440, 0.25f);
  const ExchangeRequest sung = upload_request(1, kLeader);
  ok(sung, voice);
  EXPECT_GT(occupied_frames(), 0);
  ok(request(2, kFollower));
  ok(request(3, kListener));
  // Three seconds later the follower reads that block and sings along into it.
  const auto harmony = tone(660, 0.125f);
  for (int i = 0; i < 5; ++i) {
    tick();
    ok(upload_request(1, kLeader), std::vector<float>(kN, 0.0f));
    ok(request(3, kListener));
    if (i < 4) ok(request(2, kFollower));
  }
  ASSERT_EQ(request(2, kFollower).read_clock, sung.read_clock);  // the same interval
  ok(upload_request(2, kFollower), harmony);
  ASSERT_EQ(result.source, ReplySource::kMix);
  EXPECT_EQ(result.n_people_heard, 2);
  const float boost = leader_boost();
  for (Clock i = 0; i < kN; ++i) {
    ASSERT_EQ(writers[i], 2) << i;
    ASSERT_FLOAT_EQ(audio[i], voice[i] * boost + harmony[i]) << i;
  }
  auto heard = rendered();
  for (Clock i = 0; i < kN; ++i) {
    const double expected = (double{voice[i]} * boost + harmony[i]) * std::sqrt(3.0 / 4.0) * 1.2;
    ASSERT_NEAR(heard[i], expected, 1e-5) << i;
  }
  // The listener, 3 s further back, hears both; it turns the global volume down on the way.
  for (int i = 0; i < 5; ++i) {
    tick();
    ok(upload_request(1, kLeader), std::vector<float>(kN, 0.0f));
    ok(request(2, kFollower));
    ExchangeRequest listen = request(3, kListener);
    if (i == 4) listen.controls.volume = 0.8;  // friendly
    ok(listen);
  }
  ASSERT_EQ(result.client_read_clock, sung.read_clock);
  EXPECT_EQ(result.n_people_heard, 2);
  EXPECT_FLOAT_EQ(result.levels.global_volume, static_cast<float>(friendly_to_scalar(0.8)));
  heard = rendered();
  for (Clock i = 0; i < kN; ++i) {
    const double expected =
        (double{voice[i]} * boost + harmony[i]) * std::sqrt(3.0 / 4.0) * friendly_to_scalar(0.8);
    ASSERT_NEAR(heard[i], expected, 1e-5) << i;
  }
}

TEST_F(RoomTest, AMixTheCallerHoldsEncodedIsLeftInTheRing) {
  const Clock kLeader = 3 * kSecond, kListener = 6 * kSecond;
  start_song(1);
  for (int i = 0; i < 8; ++i) {
    tick();
    ok(upload_request(1, kLeader), tone(440, 0.25f));
  }
  ok(request(2, kListener));
  ASSERT_EQ(result.source, ReplySource::kMix);
  ASSERT_EQ(result.n_people_heard, 1);
  const std::vector<float> heard = audio;
  const float level = result.levels.user_backing;

  // A second listener of the same interval whose reply the caller holds encoded at this
  // level: the room copies nothing (the poison stays) but still says who is heard.
  ExchangeRequest twin = request(3, kListener);
  twin.mix_encoded_at_backing = level;
  ok(twin);
  EXPECT_EQ(result.source, ReplySource::kMixEncoded);
  EXPECT_EQ(result.n_people_heard, 1);
  EXPECT_TRUE(std::all_of(audio.begin(), audio.end(), [](float x) { return x == -9.0f; }));
  EXPECT_TRUE(std::all_of(writers.begin(), writers.end(), [](WriterCount w) { return w == -9; }));

  // Encoded at another level, it is not this reply: the mix is copied as usual.
  twin = request(4, kListener);
  twin.mix_encoded_at_backing = level + 0.5f;
  ok(twin);
  EXPECT_EQ(result.source, ReplySource::kMix);
  EXPECT_EQ(audio, heard);
}

TEST_F(RoomTest, DisabledAutoGainLeavesTheMixUnscaled) {
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  lead.controls.mark_start_singing = true;
  lead.controls.disable_auto_gain = true;
  ok(lead);
  tick();
  const auto voice = tone(330, 0.3f);
  const ExchangeRequest sung = upload_request(1, 3 * kSecond);
  ok(sung, voice);
  tick();
  ExchangeRequest reader = request(2, 0);
  reader.read_clock = sung.read_clock;
  ok(reader);
  EXPECT_FALSE(result.levels.auto_gain);
  const auto heard = rendered();
  for (Clock i = 0; i < kN; ++i) {
    ASSERT_NEAR(heard[i], double{voice[i]} * leader_boost() * 1.2, 1e-5) << i;
  }
  // Turning it back on applies sqrt(3 / (1 + 2)) = 1 for one writer: same numbers, flag set.
  tick();
  reader = request(2, 0);
  reader.read_clock = sung.read_clock;
  reader.reset_user_state = true;
  reader.controls.disable_auto_gain = false;
  ok(reader);
  EXPECT_TRUE(result.levels.auto_gain);
}

TEST_F(RoomTest, StopSingingByTheLeaderEndsTheSongAtItsLastWrite) {
  ok(request(2, 6 * kSecond));
  start_song(1);
  tick();
  const ExchangeRequest sung = upload_request(1, 3 * kSecond);
  ok(sung, tone(440, 0.25f));
  ok(request(2, 6 * kSecond));
  tick();
  // Stop, with one more block uploaded in the same request: the song ends at the previous one.
  ExchangeRequest stop = upload_request(1, 3 * kSecond);
  stop.controls.mark_stop_singing = true;
  ok(stop, tone(440, 0.25f));
  EXPECT_EQ(result.song.end(), *sung.write_clock);
  EXPECT_FALSE(result.leader.has_value());
  EXPECT_EQ(result.delivered.backing_track_type, "");
  // Readers hear up to the end and nothing after it.
  tick();
  ExchangeRequest before_end = request(2, 0);
  before_end.read_clock = sung.read_clock;
  before_end.reset_user_state = true;
  ok(before_end);
  EXPECT_EQ(result.source, ReplySource::kMix);
  EXPECT_EQ(result.song.end(), *sung.write_clock);
  tick();
  ExchangeRequest after_end = request(2, 0);
  after_end.read_clock = *stop.write_clock;
  after_end.reset_user_state = true;
  ok(after_end);
  EXPECT_EQ(result.source, ReplySource::kSilence);
}

TEST_F(RoomTest, HaltByAnOperatorKillsTheSong) {
  start_song(1);
  ExchangeRequest halt = request(2, 6 * kSecond);
  halt.controls.mark_stop_singing = true;
  halt.holds_admin_token = true;
  ok(halt);
  EXPECT_EQ(result.song.stage(), SongStage::kHalted);
  EXPECT_FALSE(result.leader.has_value());
  tick();
  ok(upload_request(1, 3 * kSecond), tone(440, 0.5f));
  EXPECT_EQ(occupied_frames(), 0);
  EXPECT_EQ(result.source, ReplySource::kSilence);
}

TEST_F(RoomTest, ChatsReachOtherActiveUsersButNotTheSender) {
  // Every request reconnects, so the clock can jump by seconds.
  auto from = [&](UserId id, Clock delay) {
    ExchangeRequest r = request(id, delay);
    r.reset_user_state = true;
    if (id == 1) r.name = "Ann";
    return r;
  };
  ok(from(1, 3 * kSecond));
  ok(from(2, 6 * kSecond));
  ok(from(3, 9 * kSecond));  // will go quiet
  clock.advance(3 * kSecond);
  ok(from(2, 6 * kSecond));
  clock.advance(3 * kSecond);  // user 3 last heard 6 s ago: inactive
  ExchangeRequest a = from(1, 3 * kSecond);
  a.controls.chat = {"hello", "again"};
  ok(a);
  EXPECT_TRUE(result.delivered.chats.empty());
  ok(from(2, 6 * kSecond));
  using Chat = std::pair<std::string, std::string>;
  EXPECT_EQ(result.delivered.chats, (std::vector<Chat>{{"Ann", "hello"}, {"Ann", "again"}}));
  ok(from(3, 9 * kSecond));
  EXPECT_TRUE(result.delivered.chats.empty());
  // Delivered once only.
  tick();
  ok(from(2, 6 * kSecond));
  EXPECT_TRUE(result.delivered.chats.empty());
}

TEST_F(RoomTest, PushedChatsGoByThePushesWhileTheyRunThenByRepliesAgain) {
  using Chat = std::pair<std::string, std::string>;
  ExchangeRequest ann = request(1, 3 * kSecond);
  ann.name = "Ann";
  ok(ann);
  ok(request(2, 6 * kSecond));
  std::vector<Chat> pushed{{"stale", "cleared first"}};
  room->take_chats(2, pushed);  // singer 2's socket pushes: nothing queued yet
  EXPECT_TRUE(pushed.empty());
  auto chat = [&](std::string line) {
    tick();
    ann = request(1, 3 * kSecond);
    ann.name = "Ann";
    ann.controls.chat = {std::move(line)};
    ok(ann);
  };
  // Singer 2's exchanges over the pushing socket leave the lines to the pushes.
  auto pushed_exchange = [&] {
    ExchangeRequest bea = request(2, 6 * kSecond);
    bea.chats_pushed = true;
    ok(bea);
    EXPECT_TRUE(result.delivered.chats.empty());
  };
  chat("hello");
  pushed_exchange();
  room->take_chats(2, pushed);
  EXPECT_EQ(pushed, (std::vector<Chat>{{"Ann", "hello"}}));
  room->take_chats(2, pushed);
  EXPECT_TRUE(pushed.empty()) << "delivered once";
  // A line the pushes have not taken yet when the socket goes away: the next reply (over
  // HTTP) carries it at once.
  chat("by reply");
  pushed_exchange();
  tick();
  ok(request(2, 6 * kSecond));
  EXPECT_EQ(result.delivered.chats, (std::vector<Chat>{{"Ann", "by reply"}}));
  room->take_chats(2, pushed);
  EXPECT_TRUE(pushed.empty()) << "delivered once";
  room->take_chats(99, pushed);  // no such singer: nothing, no record made
  EXPECT_TRUE(pushed.empty());
}

TEST_F(RoomTest, SummarySnapshotIsTheRepliesListingAndVersion) {
  ok(request(1, 3 * kSecond));
  const auto first = room->summary_snapshot();
  ASSERT_TRUE(first.listing);
  EXPECT_EQ(first.listing, result.summary);
  EXPECT_EQ(first.version, result.summary_version);
  tick();
  ok(request(2, 6 * kSecond));  // a singer joins: a new listing and version
  const auto second = room->summary_snapshot();
  EXPECT_EQ(second.listing->size(), 2u);
  EXPECT_GT(second.version, first.version);
}

TEST_F(RoomTest, MicVolumeZeroSilencesASinger) {
  ok(request(2, 6 * kSecond));
  start_song(1);
  // The follower mutes the leader on the console.
  tick();
  ExchangeRequest console = request(2, 6 * kSecond);
  console.controls.mic_volume = {{1, 0.0}};
  ok(console);
  const ExchangeRequest sung = upload_request(1, 3 * kSecond);
  ok(sung, tone(440, 0.5f));
  EXPECT_EQ(occupied_frames(), 0);
  tick();
  ExchangeRequest reader = request(3, 0);
  reader.read_clock = sung.read_clock;
  ok(reader);
  ASSERT_EQ(result.source, ReplySource::kMix);
  EXPECT_EQ(result.n_people_heard, 1);  // counted as a writer, heard as silence
  for (Clock i = 0; i < kN; ++i) ASSERT_EQ(audio[i], 0.0f) << i;
  // Summary shows the console value: record of user 1 has mic_volume 0.
  RoomSnapshot snap;
  room->snapshot(snap);
  for (const auto& s : snap.singers) {
    if (s.id == 1) {
      EXPECT_EQ(s.mic_volume, 0.0f);
    }
  }
}

TEST_F(RoomTest, StateResetsAfterFiveSecondsWithoutRequests) {
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  lead.controls.mark_start_singing = true;
  lead.controls.bpm = 100;
  ok(lead);
  const Clock start = lead.read_clock;
  // Exactly five seconds of silence still counts as active: no reset.
  clock.advance(kUserActiveSamples);
  ExchangeRequest r = request(1, 3 * kSecond);
  r.reset_user_state = true;
  ok(r);
  EXPECT_EQ(result.song.start(), start);
  EXPECT_EQ(result.leader, UserId{1});
  // One sample more than five seconds: the song state is reset.
  clock.advance(kUserActiveSamples + 1);
  r = request(1, 3 * kSecond);
  r.reset_user_state = true;
  ok(r);
  EXPECT_EQ(result.song.stage(), SongStage::kNone);
  EXPECT_FALSE(result.leader.has_value());
  EXPECT_EQ(result.source, ReplySource::kSilence);
  // A new singer is told the defaults again.
  ok(request(9, 3 * kSecond));
  EXPECT_EQ(result.delivered.bpm, 0);
  EXPECT_EQ(result.delivered.first_bucket, 3);
}

TEST_F(RoomTest, RoomFullRefusesNewSingersOnly) {
  room = make(RoomConfig{.max_users = 2, .seed = 1});
  ok(request(1, 3 * kSecond));
  ok(request(2, 6 * kSecond));
  auto outcome = exchange(request(3, 9 * kSecond));
  EXPECT_EQ(outcome.status, ExchangeStatus::kRoomFull);
  EXPECT_EQ(room->status().n_connected_users, 2);
  EXPECT_EQ(room->status().max_users, 2);
  // Members keep going.
  tick();
  ok(request(1, 3 * kSecond));
  // Once the others went quiet, there is room again.
  clock.advance(kUserActiveSamples + 1);
  ok(request(3, 9 * kSecond));
  EXPECT_EQ(result.n_connected_users, 1);
}

TEST_F(RoomTest, AFloodOfNewIdsKeepsABoundedNumberOfRecords) {
  room = make(RoomConfig{.max_users = 2, .seed = 1});
  const auto cap = static_cast<std::size_t>(2 * kRecordsPerActiveSinger);
  // Two new ids at a time, each pair quiet long enough for the next pair to be let in.
  for (UserId id = 1; id <= 40; id += 2) {
    ok(request(id, 3 * kSecond));
    ok(request(id + 1, 3 * kSecond));
    EXPECT_LE(room->user_records(), cap);
    clock.advance(kUserActiveSamples + 1);
  }
  EXPECT_EQ(room->user_records(), cap);
  // The evicted first singer is a stranger now: its old read position no longer binds it
  // (a kept record would refuse this discontinuous read as a desync).
  ok(request(1, 7 * kSecond));
  // A recent one is still known: a discontinuous read is refused.
  const auto outcome = exchange(request(40, 11 * kSecond));
  EXPECT_EQ(outcome.status, ExchangeStatus::kBadRequest);
}

TEST_F(RoomTest, EventsAreARingOfTheNewest) {
  ExchangeRequest r = request(1, 3 * kSecond);
  r.reset_user_state = true;
  for (std::size_t i = 0; i < kMaxEvents + 10; ++i) {
    r.controls.event_data = {Event{"ev" + std::to_string(i), static_cast<Clock>(i)}};
    ok(r);
  }
  ASSERT_EQ(result.events->size(), kMaxEvents);
  EXPECT_EQ(result.events->front().evid, "ev10");  // the 10 oldest were dropped
  EXPECT_EQ(result.events->back().evid, "ev" + std::to_string(kMaxEvents + 9));
}

TEST_F(RoomTest, ChatsQueuedForASingerAreBounded) {
  ExchangeRequest listener = request(2, 6 * kSecond);
  listener.reset_user_state = true;
  ok(listener);
  ExchangeRequest talker = request(1, 3 * kSecond);
  talker.reset_user_state = true;
  for (std::size_t i = 0; i < kMaxPendingChats + 5; ++i) {
    talker.controls.chat = {"line" + std::to_string(i)};
    ok(talker);
  }
  ok(listener);
  ASSERT_EQ(result.delivered.chats.size(), kMaxPendingChats);
  EXPECT_EQ(result.delivered.chats.front().second, "line5");
}

TEST_F(RoomTest, ControlsOverOtherSingersNeedAdmin) {
  ok(request(1, 3 * kSecond));
  ExchangeRequest other = request(2, 6 * kSecond);
  other.admin = false;
  other.controls.mic_volume = {{2, 1.5}, {1, 0.0}};
  auto refused = exchange(other);
  EXPECT_EQ(refused.status, ExchangeStatus::kForbidden);
  EXPECT_EQ(refused.reason, Refusal::kOthersNeedAdmin);
  other.controls.mic_volume.clear();
  other.controls.monitor = 1;
  EXPECT_EQ(exchange(other).status, ExchangeStatus::kForbidden);
  other.controls.monitor.reset();
  other.controls.unmonitor = 1;
  EXPECT_EQ(exchange(other).status, ExchangeStatus::kForbidden);
  RoomSnapshot snap;
  room->snapshot(snap);
  for (const auto& s : snap.singers) {
    EXPECT_EQ(s.mic_volume, 1.0f) << s.id;
    EXPECT_FALSE(s.soloed) << s.id;
  }
  // One's own level and solo stay open; an admin reaches everyone.
  other.controls.unmonitor.reset();
  other.controls.mic_volume = {{2, 1.5}};
  other.controls.monitor = 2;
  ok(other);
  other.admin = true;
  other.controls.mic_volume = {{1, 0.5}};
  other.controls.monitor.reset();
  tick();
  other.read_clock = clock.now() - 6 * kSecond;
  ok(other);
  room->snapshot(snap);
  for (const auto& s : snap.singers) {
    EXPECT_EQ(s.mic_volume, s.id == 1 ? 0.5f : 1.5f) << s.id;
  }
}

// --- Song control, songs ending by themselves, headphones, recording caps ----------------------

TEST_F(RoomTest, DuringASongOnlyTheLeaderControlsIt) {
  ok(request(2, 6 * kSecond));
  start_song(1);
  const Clock start = result.song.start();
  ASSERT_GT(start, 1);
  tick();
  ok(request(2, 6 * kSecond));  // takes the bucket the lead gave it
  for (int what = 0; what < 3; ++what) {
    tick();
    ExchangeRequest r = request(2, 6 * kSecond);
    r.reset_user_state = true;  // refused requests leave gaps in the clocks
    r.controls.request_lead = what == 0;
    r.controls.mark_start_singing = what == 1;
    r.controls.mark_stop_singing = what == 2;
    const auto outcome = exchange(r);
    EXPECT_EQ(outcome.status, ExchangeStatus::kConflict) << what;
    EXPECT_EQ(outcome.reason, Refusal::kSongRunning);
  }
  tick();
  ExchangeRequest again = request(2, 6 * kSecond);
  again.reset_user_state = true;
  ok(again);
  EXPECT_EQ(result.song.start(), start);
  EXPECT_TRUE(result.song.running());
  EXPECT_EQ(result.leader, std::optional<UserId>(1));
  EXPECT_FALSE(result.delivered.delay_seconds.has_value()) << "nobody was moved";
}

TEST_F(RoomTest, WithOperatorsARefusalNamesTheTokenAndAnOperatorMayTakeOver) {
  room = make(RoomConfig{.max_users = 10, .seed = 1, .operators_exist = true});
  ok(request(2, 6 * kSecond));
  start_song(1);
  tick();
  ExchangeRequest take = request(2, 6 * kSecond);
  take.controls.request_lead = true;
  const auto refused = exchange(take);
  EXPECT_EQ(refused.status, ExchangeStatus::kForbidden);
  EXPECT_EQ(refused.reason, Refusal::kSongRunningOperators);  // the message names the token
  take.holds_admin_token = true;
  ok(take);
  EXPECT_EQ(result.leader, std::optional<UserId>(2));
}

TEST_F(RoomTest, OperatorsOnlyPolicyRefusesOthersTheLead) {
  room = make(RoomConfig{
      .max_users = 10, .seed = 1, .operators_exist = true, .lead_policy = LeadPolicy::kOperators});
  ExchangeRequest take = request(1, 3 * kSecond);
  take.controls.request_lead = true;
  EXPECT_EQ(exchange(take).status, ExchangeStatus::kForbidden);
  take.holds_admin_token = true;
  ok(take);
  EXPECT_EQ(result.leader, std::optional<UserId>(1));
}

TEST_F(RoomTest, BeforeASongOnlyTheLeaderStartsIt) {
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  ok(lead);
  ExchangeRequest start = request(2, 6 * kSecond);
  start.controls.mark_start_singing = true;
  EXPECT_EQ(exchange(start).status, ExchangeStatus::kConflict);
  // Taking the lead before the song is allowed (the page asks for confirmation first).
  ExchangeRequest take = request(2, 6 * kSecond);
  take.controls.request_lead = true;
  ok(take);
  EXPECT_EQ(result.leader, std::optional<UserId>(2));
}

TEST_F(RoomTest, TheLeaderHandsTheLeadOver) {
  ok(request(2, 6 * kSecond));
  ok(request(3, 9 * kSecond));
  ExchangeRequest wrong = request(3, 9 * kSecond);
  wrong.controls.hand_lead = 2;
  start_song(1);
  tick();
  EXPECT_EQ(exchange(wrong).status, ExchangeStatus::kForbidden) << "only the leader hands over";
  ExchangeRequest nobody = request(1, 3 * kSecond);
  nobody.controls.hand_lead = 99;
  EXPECT_EQ(exchange(nobody).status, ExchangeStatus::kBadRequest);
  ExchangeRequest hand = request(1, 3 * kSecond);
  hand.controls.hand_lead = 2;
  ok(hand);
  EXPECT_EQ(result.leader, std::optional<UserId>(2));
  EXPECT_TRUE(result.song.running()) << "the song goes on";
  tick();
  ExchangeRequest stop = request(2, 6 * kSecond);
  stop.reset_user_state = true;
  stop.controls.mark_stop_singing = true;
  ok(stop);
  EXPECT_EQ(result.song.stage(), SongStage::kEnded) << "the new leader ends it";
}

TEST_F(RoomTest, ASongEndsAtItsGoneLeadersLastWrite) {
  room = make(RoomConfig{.max_users = 10, .seed = 1, .leader_gone_samples = 30 * kSecond});
  start_song(1);
  Clock last_write = 0;
  for (int i = 0; i < 3; ++i) {
    tick();
    const ExchangeRequest up = upload_request(1, 3 * kSecond);
    ok(up, tone(440, 0.3f));
    last_write = *up.write_clock;
  }
  // The follower keeps singing; the leader is silent for exactly the limit: the song runs on.
  const Clock gone_from = clock.now();
  while (clock.now() - gone_from < 30 * kSecond) {
    tick();
    ok(request(2, 6 * kSecond));
    if (clock.now() - gone_from <= 30 * kSecond) {
      EXPECT_TRUE(result.song.running());
    }
  }
  tick();
  ok(request(2, 6 * kSecond));
  EXPECT_EQ(result.song.end(), last_write);
  EXPECT_FALSE(result.leader.has_value());
}

TEST_F(RoomTest, AGoneLeaderEndsTheSongAndItsRecordingWithNobodyConnected) {
  room = make(RoomConfig{.max_users = 10, .seed = 1, .leader_gone_samples = 30 * kSecond});
  start_song(1);
  const Clock start = result.song.start();
  tick();
  const ExchangeRequest up = upload_request(1, 3 * kSecond);
  ok(up, tone(440, 0.3f));
  // Nobody sends anything again; only the recorder polls.
  std::vector<float> a(kSampleRate), b(kSampleRate);
  std::vector<WriterCount> w(kSampleRate);
  Clock recorded = 0;
  bool finished = false;
  for (int i = 0; i < 200 && !finished; ++i) {
    clock.advance(kSampleRate / 2);
    const RecordingChunk chunk = room->take_recording({a, b, w});
    recorded += static_cast<Clock>(chunk.samples);
    finished = chunk.finished;
  }
  EXPECT_TRUE(finished);
  EXPECT_EQ(recorded, *up.write_clock - start);
}

TEST_F(RoomTest, ARecordingStopsAtItsLengthCap) {
  room = make(RoomConfig{.max_users = 10, .seed = 1, .max_recording_samples = 2 * kSecond});
  start_song(1);
  std::vector<float> a(kSampleRate), b(kSampleRate);
  std::vector<WriterCount> w(kSampleRate);
  Clock recorded = 0;
  bool finished = false;
  for (int i = 0; i < 100 && !finished; ++i) {
    tick();
    ok(request(1, 3 * kSecond));
    const RecordingChunk chunk = room->take_recording({a, b, w});
    recorded += static_cast<Clock>(chunk.samples);
    finished = chunk.finished;
  }
  EXPECT_TRUE(finished);
  EXPECT_EQ(recorded, 2 * kSecond);
  EXPECT_TRUE(result.song.running()) << "the song itself goes on";
}

TEST_F(RoomTest, SingersWithoutHeadphonesGoToTheLastBucket) {
  ExchangeRequest speakers = request(2, 6 * kSecond);
  speakers.headphones = false;
  ok(speakers);
  ok(request(3, 9 * kSecond));
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  ok(lead);
  tick();
  speakers.read_clock += kN;
  ok(speakers);
  ASSERT_TRUE(result.delivered.delay_seconds.has_value());
  const int last = *result.delivered.delay_seconds;
  ok(request(3, 9 * kSecond));
  ASSERT_TRUE(result.delivered.delay_seconds.has_value());
  EXPECT_LT(*result.delivered.delay_seconds, last);
  RoomSnapshot snap;
  room->snapshot(snap);
  for (const auto& s : snap.singers) EXPECT_EQ(s.headphones, s.id != 2) << s.id;
}

// ---- events, song phase and the drain --------------------------------------------------------

std::vector<RoomEvent> take(Room& room) {
  std::vector<RoomEvent> events;
  EXPECT_EQ(room.take_events(events), 0u);
  return events;
}

TEST_F(RoomTest, JoinLeadStartStopAndLeaveAreEventsWithTheSingersIdAndName) {
  ok(request(2, 6 * kSecond));
  EXPECT_TRUE(result.room_events);
  auto events = take(*room);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, RoomEventKind::kSingerJoined);
  EXPECT_EQ(events[0].user, 2u);
  EXPECT_EQ(events[0].name, "singer2");
  EXPECT_EQ(to_string(events[0].kind), "singer_joined");

  tick();
  ok(request(2, 6 * kSecond));  // a singer already present: no event, no flag
  EXPECT_FALSE(result.room_events);
  EXPECT_TRUE(take(*room).empty());

  EXPECT_EQ(room->status().song_phase, SongPhase::kIdle);
  start_song(1);
  EXPECT_TRUE(result.room_events);
  events = take(*room);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, RoomEventKind::kSingerJoined);
  EXPECT_EQ(events[1].kind, RoomEventKind::kLeadTaken);
  EXPECT_EQ(events[1].user, 1u);
  EXPECT_EQ(events[2].kind, RoomEventKind::kSongStarted);
  EXPECT_EQ(events[2].user, 1u);
  EXPECT_EQ(events[2].name, "singer1");
  EXPECT_EQ(events[2].song, 1u);
  EXPECT_EQ(room->status().song_phase, SongPhase::kSinging);

  tick();
  ExchangeRequest stop = request(1, 3 * kSecond);
  stop.controls.mark_stop_singing = true;
  ok(stop);
  events = take(*room);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, RoomEventKind::kSongStopped);
  EXPECT_EQ(events[0].user, 1u);
  EXPECT_EQ(events[0].song, 1u);
  // Ended, but the later buckets still sing the end and the recorder has not reached it.
  EXPECT_EQ(room->status().song_phase, SongPhase::kFinishing);

  // Both fall silent: after 5 s each is reported as gone, once.
  clock.advance(kUserActiveSamples + 1);
  room->sweep_departures();
  events = take(*room);
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) EXPECT_EQ(e.kind, RoomEventKind::kSingerLeft);
  EXPECT_EQ(events[0].user + events[1].user, 3u);
  room->sweep_departures();
  EXPECT_TRUE(take(*room).empty());
  // Coming back is a new join.
  ExchangeRequest back = request(2, 6 * kSecond);
  back.reset_user_state = true;
  ok(back);
  events = take(*room);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, RoomEventKind::kSingerJoined);
}

TEST_F(RoomTest, HaltingSomeoneElsesSongIsAnEventOfTheHalter) {
  ok(request(2, 6 * kSecond));
  start_song(1);
  (void)take(*room);
  tick();
  ExchangeRequest halt = request(2, 6 * kSecond);
  halt.controls.mark_stop_singing = true;
  halt.holds_admin_token = true;  // only an operator may halt someone else's song
  ok(halt);
  const auto events = take(*room);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, RoomEventKind::kSongHalted);
  EXPECT_EQ(events[0].user, 2u);
}

TEST_F(RoomTest, PendingEventsAreBoundedAndTheDroppedOnesCounted) {
  room = make(RoomConfig{.max_users = 2000, .seed = 1});
  const std::size_t extra = 5;
  for (UserId id = 1; id <= kMaxPendingRoomEvents + extra; ++id) ok(request(id, 3 * kSecond));
  std::vector<RoomEvent> events;
  EXPECT_EQ(room->take_events(events), extra);
  EXPECT_EQ(events.size(), kMaxPendingRoomEvents);
  EXPECT_EQ(room->take_events(events), 0u);
  EXPECT_TRUE(events.empty());
}

TEST_F(RoomTest, WhileDrainingOnlyActiveSingersAreAdmitted) {
  ok(request(1, 3 * kSecond));
  ok(request(2, 3 * kSecond));
  clock.advance(kUserActiveSamples + 1);  // both go quiet; singer 1 comes back
  ExchangeRequest back = request(1, 3 * kSecond);
  back.reset_user_state = true;
  ok(back);

  tick();
  ExchangeRequest known = request(1, 3 * kSecond);
  known.admit_new_singers = false;
  ok(known);
  ExchangeRequest newcomer = request(9, 3 * kSecond);
  newcomer.admit_new_singers = false;
  EXPECT_EQ(exchange(newcomer).status, ExchangeStatus::kDraining);
  ExchangeRequest returning = request(2, 3 * kSecond);
  returning.reset_user_state = true;
  returning.admit_new_singers = false;
  EXPECT_EQ(exchange(returning).status, ExchangeStatus::kDraining);
  EXPECT_EQ(room->status().n_connected_users, 1);
}

}  // namespace
}  // namespace brigade

namespace brigade {
namespace {

// user_summary_version: the version counts changes of the listing, not of the levels; a client
// holding the current version gets an empty block, anyone else (or an old client that sends no
// version) gets the whole summary.
TEST(RoomSummaryVersion, LeftOutWhileTheListingIsUnchanged) {
  ManualSampleClock clock{kT0};
  Room room(clock, RoomConfig{.max_users = 10, .seed = 1});
  std::vector<float> audio(kN), backing(kN), silence(kN, 0.0f), loud = tone(440.0, 0.5f);
  std::vector<WriterCount> writers(kN);
  ExchangeResult result;
  auto exchange = [&](UserId id, std::optional<std::uint64_t> version, std::span<const float> up,
                      const std::string& name = "") {
    ExchangeRequest r;
    r.user_id = id;
    r.name = name.empty() ? "singer" + std::to_string(id) : name;
    r.read_clock = clock.now() - 3 * kSecond;
    r.write_clock = r.read_clock;
    r.n_samples = kN;
    r.user_summary = true;
    r.known_summary_version = version;
    r.reset_user_state = true;  // the clock jumps between exchanges here
    result = ExchangeResult{};
    const auto outcome = room.exchange(r, up, ExchangeBuffers{audio, backing, writers}, result);
    EXPECT_TRUE(outcome.ok()) << static_cast<int>(outcome.reason);
  };
  exchange(1, std::nullopt, silence);
  exchange(2, std::nullopt, silence);
  ASSERT_TRUE(result.summary);
  const std::uint64_t v = result.summary_version;
  EXPECT_FALSE(result.summary_unchanged);

  // Levels change (a loud upload) and the summary is rebuilt, but the listing is the same.
  clock.advance(kSummaryRefreshSamples + kN);
  exchange(1, v, loud);
  clock.advance(kSummaryRefreshSamples + kN);
  exchange(2, v, silence);
  EXPECT_EQ(result.summary_version, v);
  EXPECT_TRUE(result.summary_unchanged);
  EXPECT_FALSE(result.summary);
  // Without a version (the original client), the whole summary with the new level.
  exchange(2, std::nullopt, silence);
  ASSERT_TRUE(result.summary);
  EXPECT_FALSE(result.summary_unchanged);
  EXPECT_EQ(result.summary->size(), 2u);

  // A rename changes the listing: a new version, and the summary comes back.
  clock.advance(kN);
  exchange(1, v, silence, "Renamed");
  EXPECT_GT(result.summary_version, v);
  EXPECT_FALSE(result.summary_unchanged);
  ASSERT_TRUE(result.summary);
  EXPECT_TRUE(std::any_of(result.summary->begin(), result.summary->end(),
                          [](const SummaryEntry& e) { return e.name == "Renamed"; }));
  // So does a new singer joining.
  const std::uint64_t v2 = result.summary_version;
  clock.advance(kN);
  exchange(3, v2, silence);
  EXPECT_GT(result.summary_version, v2);
  ASSERT_TRUE(result.summary);
  EXPECT_EQ(result.summary->size(), 3u);
}

// The server's per-singer state (codecs, session) as the room's roster keeps it.
struct Codecs final : SingerAttachment {
  int uses = 0;
};
struct OtherKind final : SingerAttachment {};

TEST_F(RoomTest, EachSingerHasOneAttachmentOwnedByItsRecord) {
  const auto first = room->attachment<Codecs>(1);
  ASSERT_TRUE(first);
  first->uses = 7;
  EXPECT_EQ(room->attachment<Codecs>(1), first) << "the same state on every request";
  EXPECT_NE(room->attachment<Codecs>(2), first);
  EXPECT_EQ(room->user_records(), 2u) << "one record per singer, not one per registry";
  // Taking the attachment does not put anyone in the room.
  EXPECT_EQ(room->status().n_connected_users, 0);
  ok(request(1, 3 * kSecond));
  EXPECT_EQ(room->user_records(), 2u);
  EXPECT_EQ(room->attachment<Codecs>(1)->uses, 7);
  EXPECT_THROW(room->attachment<OtherKind>(3), std::logic_error) << "one attachment type";
}

TEST_F(RoomTest, ARefusedJoinerKeepsItsAttachmentButIsNotInTheRoom) {
  room = make(RoomConfig{.max_users = 1, .seed = 1});
  ok(request(1, 3 * kSecond));
  const auto waiting = room->attachment<Codecs>(2);
  EXPECT_EQ(exchange(request(2, 6 * kSecond)).status, ExchangeStatus::kRoomFull);
  EXPECT_EQ(room->attachment<Codecs>(2), waiting);
  EXPECT_EQ(room->status().n_connected_users, 1);
  // Nor may the leader hand it the lead: it is no singer present.
  tick();
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  ok(lead);
  tick();
  ExchangeRequest hand = request(1, 3 * kSecond);
  hand.controls.hand_lead = 2;
  EXPECT_EQ(exchange(hand).reason, Refusal::kHandLeadNobody);
}

TEST_F(RoomTest, AnEvictedRecordTakesItsAttachmentWithIt) {
  room = make(RoomConfig{.max_users = 1, .seed = 1});
  const auto cap = static_cast<UserId>(kRecordsPerActiveSinger);
  const auto first = room->attachment<Codecs>(1);
  first->uses = 1;
  for (UserId id = 2; id <= cap + 1; ++id) {
    clock.advance(kN);
    room->attachment<Codecs>(id);
  }
  EXPECT_EQ(room->user_records(), static_cast<std::size_t>(cap));
  EXPECT_EQ(first.use_count(), 1) << "the record is gone; only this request still holds it";
  EXPECT_EQ(room->attachment<Codecs>(1)->uses, 0) << "a fresh state";
}

TEST_F(RoomTest, AnActiveSingerKeepsItsRecordThroughAFloodOfNewIds) {
  room = make(RoomConfig{.max_users = 1, .seed = 1});
  ok(request(1, 3 * kSecond));
  const auto state = room->attachment<Codecs>(1);
  state->uses = 3;
  for (UserId id = 100; id < 100 + 10 * kRecordsPerActiveSinger; ++id) {
    room->attachment<Codecs>(id);  // each refused later as the room is full
  }
  EXPECT_EQ(room->attachment<Codecs>(1)->uses, 3);
  tick();
  ok(request(1, 3 * kSecond));  // its read position is still known: continuous
}

TEST_F(RoomTest, ALeadersStopBeforeAnyStartEndsNothing) {
  ExchangeRequest lead = request(1, 3 * kSecond);
  lead.controls.request_lead = true;
  ok(lead);
  tick();
  ExchangeRequest stop = request(1, 3 * kSecond);
  stop.controls.mark_stop_singing = true;
  ok(stop);
  EXPECT_EQ(result.song.stage(), SongStage::kNone);
  EXPECT_FALSE(result.leader.has_value()) << "the lead is given up";
  EXPECT_EQ(result.delivered.backing_track_type, std::optional<std::string>(""));
}

}  // namespace
}  // namespace brigade
