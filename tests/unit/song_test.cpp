// The song: its timeline's stages and transitions, its settings fanned out to everyone, its
// start (include/brigade/engine/song.hpp, song_phase.hpp).
#include "brigade/engine/song.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace brigade {
namespace {

constexpr Clock kStart = 80'000'000'000'000;
constexpr Clock kSecond = kSampleRate;

Interval at(Clock begin, Clock n = kSecond) {
  return {begin, begin + n};
}

TEST(SongTimeline, NoSongHearsAndTakesNothing) {
  const SongTimeline t;
  EXPECT_EQ(t.stage(), SongStage::kNone);
  EXPECT_FALSE(t.started());
  EXPECT_FALSE(t.end().has_value());
  EXPECT_FALSE(t.audible(at(kStart)));
  EXPECT_FALSE(t.takes_upload(at(kStart)));
  EXPECT_TRUE(t.clip(at(kStart)).empty());
}

TEST(SongTimeline, RunningTakesUploadsEndingAfterItsStart) {
  SongTimeline t;
  t.start_at(kStart);
  EXPECT_EQ(t.stage(), SongStage::kRunning);
  EXPECT_EQ(t.start(), kStart);
  EXPECT_TRUE(t.audible(at(kStart - 10 * kSecond)));
  EXPECT_FALSE(t.takes_upload(at(kStart - kSecond))) << "ends exactly at the start";
  EXPECT_TRUE(t.takes_upload(at(kStart - kSecond + 1)));
  EXPECT_EQ(t.clip(at(kStart, 5 * kSecond)), at(kStart, 5 * kSecond));
}

TEST(SongTimeline, AnEndedSongIsHeardUpToItsEnd) {
  SongTimeline t;
  t.start_at(kStart);
  t.end_at(kStart + 10 * kSecond);
  EXPECT_EQ(t.stage(), SongStage::kEnded);
  EXPECT_EQ(t.end(), std::optional<Clock>(kStart + 10 * kSecond));
  EXPECT_TRUE(t.audible(at(kStart + 10 * kSecond - 1)));
  EXPECT_FALSE(t.audible(at(kStart + 10 * kSecond)));
  EXPECT_TRUE(t.takes_upload(at(kStart + 9 * kSecond)));
  EXPECT_FALSE(t.takes_upload(at(kStart + 10 * kSecond)));
  EXPECT_EQ(t.clip(at(kStart + 9 * kSecond, 5 * kSecond)), at(kStart + 9 * kSecond));
  // Ending again changes nothing: only a running song ends.
  t.end_at(kStart + 20 * kSecond);
  EXPECT_EQ(t.end(), std::optional<Clock>(kStart + 10 * kSecond));
}

TEST(SongTimeline, EndingWhatIsNotRunningChangesNothing) {
  SongTimeline none;
  none.end_at(kStart);
  EXPECT_EQ(none.stage(), SongStage::kNone);
  SongTimeline halted;
  halted.halt();
  halted.end_at(kStart);
  EXPECT_EQ(halted.stage(), SongStage::kHalted);
}

TEST(SongTimeline, AHaltedSongIsSilentFromEveryStage) {
  for (int from = 0; from < 3; ++from) {
    SongTimeline t;
    if (from >= 1) t.start_at(kStart);
    if (from == 2) t.end_at(kStart + 10 * kSecond);
    t.halt();
    EXPECT_EQ(t.stage(), SongStage::kHalted) << from;
    EXPECT_FALSE(t.started()) << from;
    EXPECT_FALSE(t.audible(at(kStart + kSecond))) << from;
    EXPECT_FALSE(t.takes_upload(at(kStart + kSecond))) << from;
    EXPECT_TRUE(t.clip(at(kStart + kSecond)).empty()) << from;
  }
}

TEST(SongTimeline, AStartBeginsAfreshFromAnyStage) {
  SongTimeline t;
  t.start_at(kStart);
  t.end_at(kStart + kSecond);
  t.start_at(kStart + 5 * kSecond);
  EXPECT_TRUE(t.running());
  EXPECT_EQ(t.start(), kStart + 5 * kSecond);
  EXPECT_FALSE(t.end().has_value());
  t.halt();
  t.start_at(kStart + 9 * kSecond);
  EXPECT_TRUE(t.running());
}

TEST(Song, PhaseFollowsLeaderTimelineAndRecording) {
  Song s;
  EXPECT_EQ(s.phase(), SongPhase::kIdle);
  s.leader = 1;
  EXPECT_EQ(s.phase(), SongPhase::kLeading);
  s.start(kStart, 1);
  EXPECT_EQ(s.phase(), SongPhase::kSinging);
  s.timeline.end_at(kStart + kSecond);
  s.finish();
  EXPECT_EQ(s.phase(), SongPhase::kFinishing) << "recording the later buckets";
  s.recording = false;
  EXPECT_EQ(s.phase(), SongPhase::kIdle);
}

TEST(Song, StartPlaysTheMetronomeWhenThereIsATempoElseTheRequestedTrack) {
  auto samples = std::make_shared<const std::vector<float>>(100, 0.5f);
  RoomControls c;
  c.track = "song.wav";
  c.track_samples = samples;
  PendingKeys everyone;
  Song with_tempo;
  with_tempo.rounds.bpm = 100;
  with_tempo.apply_levels(c, everyone);
  EXPECT_EQ(with_tempo.start(kStart, 4), BackingKind::kMetronome);
  EXPECT_TRUE(with_tempo.metronome);
  EXPECT_FALSE(with_tempo.track);
  EXPECT_EQ(with_tempo.requested_samples, samples) << "the track waits for a song without tempo";

  Song plain;
  plain.apply_levels(c, everyone);
  EXPECT_EQ(plain.start(kStart, 5), BackingKind::kTrack);
  EXPECT_EQ(plain.track, samples);
  EXPECT_FALSE(plain.requested_track.has_value());
  EXPECT_EQ(plain.id, 5u);
  EXPECT_TRUE(plain.recording);
  EXPECT_EQ(plain.record_next, kStart);
  EXPECT_EQ(backing_track_type(BackingKind::kTrack), "Backing Track");
  EXPECT_EQ(backing_track_type(BackingKind::kMetronome), "Metronome");
  EXPECT_EQ(backing_track_type(BackingKind::kNone), "");
  // The track ends the song when it runs out.
  EXPECT_FALSE(plain.track_end_before(kStart + 99).has_value());
  EXPECT_EQ(plain.track_end_before(kStart + 100), std::optional<Clock>(kStart + 100));
  plain.finish();
  EXPECT_FALSE(plain.track_end_before(kStart + 1000).has_value());
  EXPECT_FALSE(plain.leader.has_value());
}

TEST(Song, EachSettingIsQueuedForEveryoneWithTheValueSent) {
  RoomControls c;
  c.lyrics = "words";
  c.image = true;
  c.volume = 0.8;
  c.backing_volume = 0.3;
  c.disable_song_video = true;
  c.disable_auto_gain = true;
  c.bpm = 120;
  c.repeats = 2;
  c.bpr = 8;
  Song s;
  PendingKeys everyone;
  s.apply_texts(c, "ABCDEFGHIJ", everyone);
  s.apply_levels(c, everyone);
  s.apply_tempo(c, everyone);
  EXPECT_EQ(s.lyrics, "words");
  EXPECT_EQ(everyone.lyrics, std::optional<std::string>("words"));
  EXPECT_EQ(s.image, "ABCDEFGHIJ");
  EXPECT_EQ(everyone.image, std::optional<std::string>("ABCDEFGHIJ"));
  EXPECT_EQ(everyone.global_volume, std::optional<double>(0.8));
  EXPECT_DOUBLE_EQ(s.global_volume, friendly_to_scalar(0.8));
  EXPECT_EQ(everyone.backing_volume, std::optional<double>(0.3));
  EXPECT_EQ(everyone.disable_song_video, std::optional<bool>(true));
  EXPECT_FALSE(s.auto_gain);
  EXPECT_EQ(everyone.bpm, std::optional<int>(120));
  EXPECT_EQ(everyone.repeats, std::optional<int>(2));
  EXPECT_EQ(everyone.bpr, std::optional<int>(8));
  EXPECT_TRUE(s.rounds.enabled());
  // Nothing sent, nothing queued.
  PendingKeys none;
  s.apply_texts(RoomControls{}, "", none);
  s.apply_levels(RoomControls{}, none);
  s.apply_tempo(RoomControls{}, none);
  PendingKeys empty;
  empty.merge(none);
  EXPECT_FALSE(empty.lyrics || empty.image || empty.bpm || empty.global_volume ||
               empty.disable_song_video);
}

TEST(Song, AJoinerIsToldTheSongAsItIs) {
  Song s;
  s.rounds = {.bpm = 90, .repeats = 0, .bpr = 0};
  s.lyrics = "la";
  s.first_bucket = 6;
  s.max_position = 21;
  PendingKeys p;
  s.welcome(p, /*headphones=*/false);
  EXPECT_EQ(p.bpm, std::optional<int>(90));
  EXPECT_EQ(p.first_bucket, std::optional<int>(6));
  EXPECT_EQ(p.lyrics, std::optional<std::string>("la"));
  EXPECT_FALSE(p.image.has_value()) << "no image set";
  EXPECT_TRUE(p.tracks);
  EXPECT_FALSE(p.delay_seconds.has_value()) << "nobody leads: nowhere to keep them";
  s.leader = 3;
  PendingKeys q;
  s.welcome(q, /*headphones=*/false);
  EXPECT_EQ(q.delay_seconds, std::optional<int>(21)) << "without headphones: the last bucket";
}

}  // namespace
}  // namespace brigade
