// brigade: one audio exchange as the engine sees it: typed input, typed output, no HTTP.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "brigade/engine/ring_set.hpp"
#include "brigade/engine/song_phase.hpp"
#include "brigade/engine/user_summary.hpp"
#include "brigade/engine/volume.hpp"

namespace brigade {

using UserId = std::uint64_t;

/// Longest interval one exchange may read and write: 3 s (50 Opus packets). The browser sends
/// 0.6 s; bounding it bounds every per-thread buffer.
inline constexpr Clock kMaxExchangeSamples = 50 * kOpusFrameSamples;

/// Events the room keeps (a ring: a new id beyond it drops the oldest). Every reply carries
/// them all, so this bounds the reply too (64 × ~100 bytes).
inline constexpr std::size_t kMaxEvents = 64;
/// Longest event id, bytes; most events one request may carry.
inline constexpr std::size_t kMaxEventIdBytes = 64;
inline constexpr std::size_t kMaxEventsPerRequest = 16;
/// Most chat lines one request may carry; most lines queued for one singer (oldest dropped).
inline constexpr std::size_t kMaxChatLinesPerRequest = 8;
inline constexpr std::size_t kMaxPendingChats = 64;

/// A timed marker set by clients (`event_data`).
struct Event {
  std::string evid;
  Clock clock = 0;
};
using EventList = std::vector<Event>;

/// Room-wide controls a request may carry; each is applied when present.
struct RoomControls {
  std::optional<double> volume;          ///< friendly
  std::optional<double> backing_volume;  ///< friendly
  std::optional<int> bpm, repeats, bpr;
  std::optional<std::string> track;
  /// The requested track's samples (mono 48 kHz), loaded by the caller outside the room lock.
  std::shared_ptr<const std::vector<float>> track_samples;
  std::optional<bool> disable_auto_gain;
  std::optional<bool> disable_song_video;
  bool request_lead = false;
  bool mark_start_singing = false;
  bool mark_stop_singing = false;
  /// The leader hands the lead to this singer (`hand_lead=<userid>`).
  std::optional<UserId> hand_lead;
  bool clear_events = false;
  bool image = false;
  std::optional<std::string> lyrics;
  std::vector<std::string> chat;
  std::vector<std::pair<UserId, double>> mic_volume;
  EventList event_data;
  std::optional<UserId> monitor;
  std::optional<UserId> unmonitor;
  bool begin_monitor = false;
};

/// What the parser hands the room: typed and range-checked already.
struct ExchangeRequest {
  UserId user_id = 0;
  std::string name;  ///< empty → "<anonymous>"
  Clock read_clock = 0;
  std::optional<Clock> write_clock;
  Clock n_samples = 0;  ///< length of the interval read and written
  bool reset_user_state = false;
  bool user_summary = false;
  /// The summary version the client already holds: with user_summary, the reply omits the
  /// summary (an empty block) when the listing has not changed since.
  std::optional<std::uint64_t> known_summary_version;
  bool spectator = false;
  bool muted = false;
  bool hear_monitor = false;
  bool loopback = false;
  std::optional<double> user_backing_volume;  ///< friendly
  /// The caller holds this reply's mix encoded already, as heard at this own-backing level
  /// (ReplyLevels::user_backing; the server's shared encoder): when the reply is that mix, the
  /// room leaves it in the ring (kMixEncoded) instead of copying ~260 KB out under its lock.
  std::optional<float> mix_encoded_at_backing;
  /// May use room-wide controls (volume, backing volume, auto-gain, track, halting someone
  /// else's song, clearing events). The server sets it from the admin token, if one is set.
  bool admin = true;
  /// Carries the server's admin token (false when the server has none): an operator, who may
  /// control someone else's running song.
  bool holds_admin_token = false;
  /// `headphones=0`: this singer hears the choir through speakers, which leak into the
  /// microphone, so the server keeps them in the last bucket. Absent = wears headphones.
  bool headphones = true;
  /// False while the server drains for shutdown: a singer not active in the room is refused
  /// (kDraining); singers already singing go on.
  bool admit_new_singers = true;
  /// The transport pushes this singer's chat lines (Room::take_chats): the reply leaves them
  /// queued for the push instead of carrying them.
  bool chats_pushed = false;
  RoomControls controls;
};

/// Keys queued for one singer, delivered once on its next successful reply.
struct PendingKeys {
  std::optional<int> bpm, repeats, bpr, first_bucket, delay_seconds;
  std::optional<double> global_volume, backing_volume;  ///< friendly
  std::optional<bool> disable_song_video;
  std::optional<std::string> lyrics, image, backing_track_type;
  bool tracks = false;
  std::vector<std::pair<std::string, std::string>> chats;  ///< [sender name, text]

  void clear();
  /// Queues every key set in `keys` (chats excepted: they are per recipient).
  void merge(const PendingKeys& keys);
  /// Some key other than chats is set.
  bool any_key() const;
};

/// What the reply audio is made of. kMixEncoded is the mix too, left in the ring: the caller
/// holds it encoded already (ExchangeRequest::mix_encoded_at_backing), so the buffers are unset.
enum class ReplySource { kSilence, kMix, kMixEncoded, kSolo, kLoopback };

/// Caller-owned buffers the room copies the read interval into (each n_samples long).
struct ExchangeBuffers {
  std::span<float> audio;
  std::span<float> backing;
  std::span<WriterCount> writers;
};

/// Everything the reply needs, copied out under the room lock.
struct ExchangeResult {
  Clock server_clock = 0;
  Clock last_request_clock = 0;
  Clock client_read_clock = 0;
  std::optional<Clock> client_write_clock;
  SongTimeline song;
  Clock n_samples = 0;
  int n_connected_users = 0;
  std::optional<UserId> leader;
  int n_people_heard = 0;
  PendingKeys delivered;
  std::shared_ptr<const EventList> events;
  std::shared_ptr<const std::vector<std::string>> tracks;
  /// The listing of active singers (sorted); null when not requested or unchanged.
  std::shared_ptr<const SummaryListing> summary;
  /// The listing's version now; and whether the summary was left out because the client
  /// already holds this version.
  std::uint64_t summary_version = 0;
  bool summary_unchanged = false;
  ReplySource source = ReplySource::kSilence;
  /// The song this request's upload was mixed into while it is being recorded (0: none); the
  /// upload's packets then belong to that song's stem.
  std::uint64_t recorded_song = 0;
  ReplyLevels levels;
  float loopback_gain = 1.0f;
  /// Room events (joins, lead, song start/stop) wait in the room: call Room::take_events().
  bool room_events = false;
};

/// A block of the song recording, copied out of the rings (see Room::take_recording).
struct RecordingChunk {
  std::uint64_t song = 0;   ///< which song (counts up from 1); 0 = no recording in progress
  Clock begin = 0;          ///< clock of the first sample copied
  std::size_t samples = 0;  ///< samples copied into the buffers
  bool finished = false;    ///< the song's recording is complete with these samples
  Clock song_start = 0;     ///< the song's start clock (names it in the recordings listing)
  std::string leader;       ///< the leader's name when the song started
  ReplyLevels levels;       ///< the listeners' mix formula, backing at the user default
};

/// Which kind of refusal an exchange met. Nothing of the request was applied.
enum class ExchangeStatus { kOk, kBadRequest, kForbidden, kConflict, kRoomFull, kDraining };

/// Exactly why (the server words it for the client).
enum class Refusal {
  kNone,
  kUploadLength,          ///< the decoded upload is not n_samples long
  kBadNSamples,           ///< n_samples out of (0, kMaxExchangeSamples]
  kReadClockFuture,       ///< read clock after now
  kReadClockTooOld,       ///< read interval no longer in the ring
  kWriteClockFuture,      ///< write clock after now
  kWriteClockTooOld,      ///< write interval no longer in the ring
  kReadDesync,            ///< read clock does not continue the last read
  kWriteDesync,           ///< write clock does not continue the last write
  kRoomFull,              ///< max_users singers active
  kDraining,              ///< the server admits no new singers
  kRoomWideNeedsAdmin,    ///< room-wide control without the admin token
  kOthersNeedAdmin,       ///< control over another singer without the admin token
  kHandLeadNobody,        ///< hand_lead names no singer present
  kHandLeadNotLeader,     ///< only the leader (or an operator) hands the lead over
  kSongRunningOperators,  ///< a song runs: its leader or an operator controls it
  kSongRunning,           ///< a song runs: only its leader controls it
  kLeadOperatorsOnly,     ///< --who-may-lead operators
  kSomeoneElseLeads,      ///< only the leader starts the song
};

struct ExchangeOutcome {
  ExchangeStatus status = ExchangeStatus::kOk;
  Refusal reason = Refusal::kNone;
  bool ok() const { return status == ExchangeStatus::kOk; }
};

}  // namespace brigade
