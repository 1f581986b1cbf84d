// brigade: the room: one lock and one small front over three parts, each in its own file:
//   the roster (roster.hpp): one record per singer (Singer), one eviction policy, and the
//     server's per-singer attachment (codecs, session) owned by that record;
//   the song (song.hpp): an explicit timeline (SongTimeline), leader, settings, recorder;
//   the mixer (mixer.hpp): the rings, cleared, mixed and read.
//
// Concurrency: every public method takes the room mutex for its whole duration, and that
// duration is bookkeeping plus clear/mix/read/copy only. Opus, JSON and sockets stay outside:
// callers decode before exchange() and render/encode the copied-out buffers after it.
//
// Lock order: a request first takes its singer's attachment with attachment() (room lock
// only, released on return), then locks the attachment's own mutex for the whole request
// (decode → exchange() → encode), and exchange() takes the room lock inside it. So the order is
// attachment mutex → room mutex; nothing locks an attachment while holding the room lock.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "brigade/engine/buckets.hpp"
#include "brigade/engine/clock.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/engine/mixer.hpp"
#include "brigade/engine/room_event.hpp"
#include "brigade/engine/roster.hpp"
#include "brigade/engine/song.hpp"
#include "brigade/engine/song_control.hpp"
#include "brigade/engine/song_phase.hpp"
#include "brigade/engine/user_summary.hpp"

namespace brigade {

/// The cached user summary is rebuilt at most this often (100 ms).
inline constexpr Clock kSummaryRefreshSamples = kSampleRate / 10;
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
  SongTimeline song;
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

  /// The server's state for singer `id` (codecs, session: any SingerAttachment subclass T,
  /// the same T for every call), made on its first request and owned by the singer's roster
  /// record; the shared_ptr keeps it alive for the request even if the record is evicted
  /// meanwhile. Takes the room lock briefly (T is constructed outside it, once per singer);
  /// lock the attachment only after it returns.
  template <class T>
  std::shared_ptr<T> attachment(UserId id) {
    static_assert(std::is_base_of_v<SingerAttachment, T>);
    return std::static_pointer_cast<T>(
        attachment(id, typeid(T),
                   []() -> std::shared_ptr<SingerAttachment> { return std::make_shared<T>(); }));
  }

  RoomStatus status();
  int max_users() const { return config_.max_users; }
  /// The cap on one song's recording (mix and stems).
  Clock max_recording_samples() const { return config_.max_recording_samples; }
  /// The rings' memory is in place (made once, in the constructor; readiness reports it).
  bool rings_allocated() const { return mixer_.allocated(); }
  /// Singer records kept, active or not (bounded by kRecordsPerActiveSinger × max_users).
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

  /// The newest user-summary listing (sorted; as the exchange's reply would carry it) and its
  /// version, for servers that push it. Copies a pointer under the lock; never rebuilds.
  struct SummarySnapshot {
    std::shared_ptr<const SummaryListing> listing;
    std::uint64_t version = 0;
  };
  SummarySnapshot summary_snapshot();
  /// Moves the chat lines queued for singer `id` into `out` (cleared first; its capacity goes to
  /// the singer's queue), for a server that pushes them. The replies to that singer's exchanges
  /// over the pushing transport leave the lines queued (ExchangeRequest::chats_pushed), so
  /// each line goes once, by the pushes; any other reply (after a fallback to HTTP) takes them.
  void take_chats(UserId id, std::vector<std::pair<std::string, std::string>>& out);
  /// Counts requests that queued chat lines: a pusher whose count did not move has nothing
  /// new to take (no lock taken to learn it).
  std::uint64_t chat_generation() const { return chat_generation_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<SingerAttachment> attachment(UserId id, const std::type_info& type,
                                               std::shared_ptr<SingerAttachment> (*make)());
  ExchangeOutcome validate(const ExchangeRequest& req, Clock now) const;
  ExchangeOutcome validate_clocks(const ExchangeRequest& req, Clock now) const;
  void reset_song_state();
  /// The record of `id`, made (evicting per the roster's policy) when missing.
  Singer& record(UserId id, Clock now);
  Singer& admit(const ExchangeRequest& req, Clock now);
  void end_song_early(Clock now);
  void apply_controls(const ExchangeRequest& req, Singer& singer, Clock now);
  void apply_singer_controls(const ExchangeRequest& req, Singer& singer, Clock now);
  void apply_events(const RoomControls& c);
  SongControlState song_control_state() const;
  void request_lead(Singer& leader, Clock now, PendingKeys& everyone);
  void hand_lead(Singer& to, Clock now, PendingKeys& everyone);
  void end_song_if_keeper_gone(Clock now);
  void start_song(const ExchangeRequest& req, const Singer& singer, Clock now,
                  PendingKeys& everyone);
  void stop_song(const ExchangeRequest& req, Singer& singer, PendingKeys& everyone);
  void reposition_listeners(Singer* only, Clock now);
  /// The song ended: lead and track are gone, every singer hears no backing any more.
  void end_song(Clock now);
  /// Mixes the upload when it falls in the song; returns whether it did.
  bool write(const ExchangeRequest& req, std::span<const float> upload, Singer& singer, Clock now);
  void read(const ExchangeRequest& req, Singer& singer, ExchangeBuffers buffers,
            ExchangeResult& result);
  void fill_result(const ExchangeRequest& req, Singer& singer, Clock now, ExchangeResult& result);
  void refresh_summary(Clock now, bool force);
  void expire_users(Clock now);
  void sweep_departures(Clock now);
  /// Queues an event for take_events() (bounded; `singer` may be null).
  void note(RoomEventKind kind, const Singer* singer);

  const SampleClock& clock_;
  const RoomConfig config_;
  std::mutex mutex_;
  Mixer mixer_;
  Roster roster_;
  Song song_;
  std::optional<Clock> last_heard_any_;
  Clock last_expiry_sweep_ = 0;
  std::uint64_t requests_ = 0;
  std::uint64_t songs_ = 0;
  std::mt19937_64 rng_;
  const std::type_info* attachment_type_ = nullptr;
  std::vector<Singer*> scratch_singers_;
  std::shared_ptr<const SummaryListing> summary_;
  Clock summary_built_at_ = 0;
  bool summary_dirty_ = true;
  /// Counts changes of the listing (who, names, mic volumes, delays, flags; not rms levels).
  std::uint64_t summary_version_ = 1;
  std::atomic<std::uint64_t> chat_generation_{0};
  int n_active_ = 0;
  std::shared_ptr<const EventList> events_;
  std::shared_ptr<const std::vector<std::string>> tracks_;
  std::vector<RoomEvent> events_out_;
  std::uint64_t events_dropped_ = 0;
};

}  // namespace brigade
