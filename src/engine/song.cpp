// brigade: the song.
#include "brigade/engine/song.hpp"

namespace brigade {

std::string_view backing_track_type(BackingKind kind) {
  switch (kind) {
    case BackingKind::kNone:
      return "";
    case BackingKind::kMetronome:
      return "Metronome";
    case BackingKind::kTrack:
      return "Backing Track";
  }
  return "";
}

void Song::apply_texts(const RoomControls& c, std::string_view image_token, PendingKeys& everyone) {
  if (c.lyrics) {
    lyrics = *c.lyrics;
    everyone.lyrics = lyrics;
  }
  if (c.image) {
    image.assign(image_token);
    everyone.image = image;
  }
}

void Song::apply_levels(const RoomControls& c, PendingKeys& everyone) {
  if (c.volume) {
    global_volume = friendly_to_scalar(*c.volume);
    everyone.global_volume = *c.volume;
  }
  if (c.backing_volume) {
    backing_volume = friendly_to_scalar(*c.backing_volume);
    everyone.backing_volume = *c.backing_volume;
  }
  if (c.track) {
    requested_track = *c.track;
    requested_samples = c.track_samples;
  }
}

void Song::apply_tempo(const RoomControls& c, PendingKeys& everyone) {
  if (c.disable_auto_gain) auto_gain = !*c.disable_auto_gain;
  if (c.disable_song_video) {
    disable_song_video = *c.disable_song_video;
    everyone.disable_song_video = disable_song_video;
  }
  if (c.bpm) {
    rounds.bpm = *c.bpm;
    everyone.bpm = *c.bpm;
  }
  if (c.repeats) {
    rounds.repeats = *c.repeats;
    everyone.repeats = *c.repeats;
  }
  if (c.bpr) {
    rounds.bpr = *c.bpr;
    everyone.bpr = *c.bpr;
  }
}

void Song::welcome(PendingKeys& p, bool headphones) const {
  p.bpm = rounds.bpm;
  p.repeats = rounds.repeats;
  p.bpr = rounds.bpr;
  p.tracks = true;
  p.first_bucket = first_bucket;
  p.global_volume = scalar_to_friendly(global_volume);
  p.backing_volume = scalar_to_friendly(backing_volume);
  if (disable_song_video) p.disable_song_video = true;
  if (!lyrics.empty()) p.lyrics = lyrics;
  if (!image.empty()) p.image = image;
  // Without headphones the choir leaks into the microphone: only the last bucket is safe.
  if (!headphones && leader) p.delay_seconds = max_position;
}

BackingKind Song::start(Clock at, std::uint64_t song_number) {
  timeline.start_at(at);
  track.reset();
  metronome = rounds.bpm > 0;
  BackingKind kind = BackingKind::kNone;
  if (metronome) {
    kind = BackingKind::kMetronome;  // a requested track waits for a song without metronome
  } else if (requested_samples) {
    track = std::move(requested_samples);
    requested_track.reset();
    kind = BackingKind::kTrack;
  }
  id = song_number;
  recording = true;
  record_next = at;
  return kind;
}

void Song::finish() {
  leader.reset();
  keeper.reset();
  track.reset();
}

std::optional<Clock> Song::track_end_before(Clock now) const {
  if (!track || !timeline.running()) return std::nullopt;
  const Clock end = timeline.start() + static_cast<Clock>(track->size());
  return now >= end ? std::optional<Clock>(end) : std::nullopt;
}

ReplyLevels Song::levels(double user_backing) const {
  return ReplyLevels{
      .global_volume = static_cast<float>(global_volume),
      .backing_volume = static_cast<float>(backing_volume),
      .backing_factor = rounds.bpm > 0 ? 1.0f : 0.2f,
      .user_backing = static_cast<float>(user_backing),
      .auto_gain = auto_gain,
  };
}

float Song::upload_gain(UserId who, float gain) const {
  return gain * (leader == who ? leader_boost() : 1.0f);
}

SongPhase Song::phase() const {
  if (timeline.running()) return SongPhase::kSinging;
  if (recording) return SongPhase::kFinishing;
  return leader ? SongPhase::kLeading : SongPhase::kIdle;
}

}  // namespace brigade
