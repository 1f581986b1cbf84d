// brigade: the room: shared rings, singers and song state behind one lock.
//
// Concurrency: every public method takes the room mutex for its whole duration, and that
// duration is bookkeeping plus clear/mix/read/copy only. Opus, JSON and sockets stay outside:
// callers decode before exchange() and render/encode the copied-out buffers after it.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "brigade/engine/buckets.hpp"
#include "brigade/engine/clock.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/engine/ring_set.hpp"
#include "brigade/engine/room_event.hpp"
#include "brigade/engine/song_control.hpp"
#include "brigade/engine/song_phase.hpp"
#include "brigade/engine/user_summary.hpp"

namespace brigade {

/// A singer counts as present for this long after its last request.
inline constexpr Clock kUserActiveSamples = Clock{5} * kSampleRate;
/// A singer's record is forgotten this long after its last request.
inline constexpr Clock kUserLifetimeSamples = Clock{3600} * kSampleRate;
/// The cached user summary is rebuilt at most this often (100 ms).
inline constexpr Clock kSummaryRefreshSamples = kSampleRate / 10;
/// Song-state defaults after a reset (the original's values).
inline constexpr int kDefaultFirstBucket = kBucketSeconds;
inline constexpr int kDefaultMaxPosition = kBucketSeconds * 6;
inline constexpr double kDefaultGlobalVolume = 1.2;   ///< scalar
inline constexpr double kDefaultBackingVolume = 1.0;  ///< scalar
/// User records kept (active or not) per allowed active singer: beyond it, joining evicts the
/// singer heard from longest ago, so a flood of new ids cannot grow memory without bound.
inline constexpr int kRecordsPerActiveSinger = 4;
/// Longest stored display name, bytes (cut at a character boundary).
inline constexpr std::size_t kMaxNameBytes = 64;
/// A running song whose leader has sent no request for this long ends at the leader's last
/// write (default of --leader-gone-seconds).
inline constexpr Clock kLeaderGoneSamples = Clock{30} * kSampleRate;
/// Longest recording of one song, the mix and each singer's stem (default of
/// --max-recording-minutes).
inline constexpr Clock kMaxRecordingSamples = Clock{60} * 60 * kSampleRate;

struct RoomConfig {
  /// Most singers active at once; a new singer beyond it is refused.
  int max_users = 1000;
  /// Seed for the follower shuffle (tests fix it).
  std::uint64_t seed = std::random_device{}();
  /// The server has an admin token, so operators exist (song-control rules).
  bool operators_exist = false;
  /// Who may take the lead before a song (with operators only).
  LeadPolicy lead_policy = LeadPolicy::kAnyone;
  /// A running song ends this long after its leader's last request.
  Clock leader_gone_samples = kLeaderGoneSamples;
  /// A recording stops at this length even if its song goes on.
  Clock max_recording_samples = kMaxRecordingSamples;
};

/// Room occupancy for `action=status`.
struct RoomStatus {
  int n_connected_users = 0;
  int max_users = 0;
  SongPhase song_phase = SongPhase::kIdle;
};

/// One singer as the operators' chart sees it.
struct SingerView {
  UserId id = 0;
  std::string name;
  Clock delay_samples = 0;
  Interval read_window;
  std::optional<Interval> write_window;
  float rms = 0.0f;
  float mic_volume = 1.0f;
  bool muted = false;
  bool spectator = false;
  bool leader = false;
  bool soloed = false;
  bool headphones = true;  ///< false: said it has none (kept in the last bucket)
};

/// A copy of everything the debug chart shows, taken in O(bitmap words + singers).
struct RoomSnapshot {
  Clock server_clock = 0;
  std::optional<Clock> cleared_to;
  OccupancySnapshot occupancy;
  Clock song_start_clock = 0;
  Clock song_end_clock = 0;
  int first_bucket = 0;
  std::uint64_t requests = 0;         ///< exchanges served since start
  std::uint64_t clears = 0;           ///< clears of the span ahead of the leader
  std::uint64_t cleared_samples = 0;  ///< samples those clears zeroed
  SongPhase song_phase = SongPhase::kIdle;
  std::vector<SingerView> singers;  ///< active singers
};

class Room {
 public:
  Room(const SampleClock& clock, RoomConfig config);
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  /// One audio exchange: validates the whole request first (on failure nothing changed), then
  /// clears ahead, applies the controls, mixes `upload` (req.n_samples samples, already decoded)
  /// when a song is in progress, and copies the read interval into `buffers`.
  ExchangeOutcome exchange(const ExchangeRequest& req, std::span<const float> upload,
                           ExchangeBuffers buffers, ExchangeResult& result);

  RoomStatus status();
  int max_users() const { return config_.max_users; }
  /// The cap on one song's recording (mix and stems).
  Clock max_recording_samples() const { return config_.max_recording_samples; }
  /// The rings' memory is in place (made once, in the constructor; readiness reports it).
  bool rings_allocated() const {
    return rings_.audio().data().size() == static_cast<std::size_t>(kRingSamples);
  }
  /// User records kept, active or not (bounded by kRecordsPerActiveSinger × max_users).
  std::size_t user_records();
  /// The server clock, read the same way exchanges read it.
  Clock now() const { return clock_.now(); }
  /// Occupancy bitmap and the clock it describes.
  void snapshot_occupancy(OccupancySnapshot& out);
  /// Everything the debug chart needs.
  void snapshot(RoomSnapshot& out);
  /// The next block of the song recording: the mix as the last bucket hears it, for
  /// [next, min(now - (last bucket + 3 s), song end)), at most buffers.audio.size() samples,
  /// copied into `buffers` (audio, backing, writers). Render with render_reply(levels).
  RecordingChunk take_recording(ExchangeBuffers buffers);

  /// Track names offered to new singers.
  void set_tracks(std::vector<std::string> tracks);

  /// Notes singers who fell silent (kSingerLeft). Exchanges do this once a second; call it
  /// periodically too, so departures are noticed when nobody sends requests.
  void sweep_departures();
  /// Moves the collected events into `out` (cleared first) and returns how many were dropped
  /// since the last call because more than kMaxPendingRoomEvents were waiting.
  std::uint64_t take_events(std::vector<RoomEvent>& out);

 private:
  struct User {
    UserId id = 0;
    std::string name;
    Clock last_heard = 0;
    Clock delay_samples = 0;
    std::optional<Clock> last_read;       ///< continuity; forgotten on reset_user_state
    std::optional<Clock> last_write;      ///< continuity; forgotten on reset_user_state
    std::optional<Clock> last_write_any;  ///< end of the newest upload ever (song end)
    Interval read_window;
    std::optional<Interval> write_window;
    double mic_volume = 1.0;    ///< console value 0..2
    float gain = 1.0f;          ///< mic_gain(mic_volume)
    double user_backing = 1.0;  ///< scalar
    float rms = 0.0f;
    bool muted = false;
    bool spectator = false;
    bool soloed = false;
    bool listening = false;  ///< last request listened to the solo mix
    bool headphones = true;
    bool present = false;  ///< joined and not yet reported as left
    PendingKeys pending;
  };

  struct Song {
    Clock start = 0;  ///< 0 = none since reset; 1 = halted
    Clock end = 0;    ///< 0 = not ended
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
    /// The backing track playing in this song, its first sample at `start`.
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
  };

  ExchangeOutcome validate(const ExchangeRequest& req, Clock now) const;
  void reset_song_state();
  User& admit(const ExchangeRequest& req, Clock now);
  void apply_controls(const ExchangeRequest& req, User& user, Clock now);
  SongControlState song_control_state() const;
  void request_lead(User& leader, Clock now);
  void hand_lead(User& to, Clock now);
  void end_song_if_keeper_gone(Clock now);
  void start_song(const ExchangeRequest& req, const User& user, Clock now);
  void stop_song(const ExchangeRequest& req, User& user, Clock now);
  void reposition_listeners(User* only, Clock now);
  void fill_backing(Interval span);
  void end_song(Clock now);
  /// Mixes the upload when it falls in the song; returns whether it did.
  bool write(const ExchangeRequest& req, std::span<const float> upload, User& user, Clock now);
  void read(const ExchangeRequest& req, User& user, ExchangeBuffers buffers,
            ExchangeResult& result);
  void refresh_summary(Clock now, bool force);
  void expire_users(Clock now);
  void sweep_departures(Clock now);
  SongPhase song_phase() const;
  /// Queues an event for take_events() (bounded; `user` may be null).
  void note(RoomEventKind kind, const User* user);
  bool is_active(const User& u, Clock now) const;
  template <class F>
  void for_each_active(Clock now, F&& f);

  const SampleClock& clock_;
  const RoomConfig config_;
  std::mutex mutex_;
  RingSet rings_;
  std::unordered_map<UserId, User> users_;
  Song song_;
  std::optional<Clock> last_heard_any_;
  Clock last_expiry_sweep_ = 0;
  std::uint64_t requests_ = 0;
  std::uint64_t songs_ = 0;
  std::uint64_t clears_ = 0;
  std::uint64_t cleared_samples_ = 0;
  std::mt19937_64 rng_;
  std::vector<User*> scratch_users_;
  std::vector<SummaryEntry> scratch_entries_;
  std::shared_ptr<const std::string> summary_;
  Clock summary_built_at_ = 0;
  bool summary_dirty_ = true;
  /// Counts changes of the listing (who, names, mic volumes, delays, flags; not rms levels).
  std::uint64_t summary_version_ = 1;
  int n_active_ = 0;
  std::shared_ptr<const EventList> events_;
  std::shared_ptr<const std::vector<std::string>> tracks_;
  std::vector<RoomEvent> events_out_;
  std::uint64_t events_dropped_ = 0;
};

}  // namespace brigade
