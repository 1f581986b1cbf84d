// brigade: the song: its timeline (an explicit stage, see song_phase.hpp), its leader and
// keeper, its room-wide settings and the recorder's position. Settings a request changes are
// queued for every active singer through one PendingKeys (`everyone`), which the room fans out
// once (Roster::queue_for_active). Not thread-safe: the room's lock guards it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/engine/buckets.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/engine/song_phase.hpp"
#include "brigade/engine/volume.hpp"

namespace brigade {

/// Song-state defaults after a reset (the original's values).
inline constexpr int kDefaultFirstBucket = kBucketSeconds;
inline constexpr int kDefaultMaxPosition = kBucketSeconds * 6;
inline constexpr double kDefaultGlobalVolume = 1.2;   ///< scalar
inline constexpr double kDefaultBackingVolume = 1.0;  ///< scalar

/// What a song start plays under the voices (`backing_track_type` sent to every singer).
enum class BackingKind { kNone, kMetronome, kTrack };

/// "", "Metronome", "Backing Track" (the API's values).
std::string_view backing_track_type(BackingKind kind);

struct Song {
  SongTimeline timeline;
  std::optional<UserId> leader;
  RoundsConfig rounds;
  int first_bucket = kDefaultFirstBucket;
  int max_position = kDefaultMaxPosition;
  double global_volume = kDefaultGlobalVolume;
  double backing_volume = kDefaultBackingVolume;
  bool auto_gain = true;
  bool disable_song_video = false;
  std::string lyrics;
  std::string image;
  std::optional<std::string> requested_track;
  std::shared_ptr<const std::vector<float>> requested_samples;
  /// The backing track playing in this song, its first sample at the start.
  std::shared_ptr<const std::vector<float>> track;
  bool metronome = false;
  std::uint64_t id = 0;    ///< song number, for the recorder
  bool recording = false;  ///< the recorder has not reached the end yet
  Clock record_next = 0;   ///< next clock the recorder takes
  /// Whose absence ends the song: the leader, or whoever started a song nobody led.
  std::optional<UserId> keeper;
  Clock keeper_seen = 0;                   ///< when the keeper's last request came
  std::optional<Clock> keeper_last_write;  ///< end of the keeper's newest upload
  std::string leader_name;                 ///< for the recording's listing

  /// The lyrics and the image token (a new lead clears both, so they come first).
  void apply_texts(const RoomControls& c, std::string_view image_token, PendingKeys& everyone);
  /// Volumes and the track asked for (before a start in the same request, which plays it).
  void apply_levels(const RoomControls& c, PendingKeys& everyone);
  /// Auto-gain, video and the metronome/rounds (after a start in the same request, as the
  /// original: a start uses the tempo it had).
  void apply_tempo(const RoomControls& c, PendingKeys& everyone);

  /// The keys a singer gets on joining.
  void welcome(PendingKeys& keys, bool headphones) const;

  /// Starts the song at `at`: plays the metronome, else the requested track. `song_number`
  /// names it for the recorder.
  BackingKind start(Clock at, std::uint64_t song_number);
  /// The lead is gone with the song's end: no leader, keeper or track any more.
  void finish();

  /// The backing track ran out before `now` (the song ends where it did).
  std::optional<Clock> track_end_before(Clock now) const;
  /// The listeners' mix formula for a singer with backing volume `user_backing`.
  ReplyLevels levels(double user_backing) const;
  /// Gain of `who`'s upload at console gain `gain` (the leader is boosted).
  float upload_gain(UserId who, float gain) const;
  SongPhase phase() const;
};

}  // namespace brigade
