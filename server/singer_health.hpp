// brigade: per-singer problem detectors for the operators' chart (late or missing uploads,
// mis-calibration, silence, clipping, reconnect storms, codec resets).
//
// Fed by one call per successful exchange (record(), after the room step, outside the room
// lock) and read by the debug state and /metrics (assess()). Beast-free and room-free: it sees
// only clocks and the decoded upload. Real-time: slots are preallocated for every singer the
// room can hold, so record() never allocates; its lock covers one slot's update.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/engine/room.hpp"

namespace brigade::server {

enum class Problem : std::uint8_t {
  kLate,           ///< requests arrive late relative to their clocks (jitter spikes)
  kMissing,        ///< uploads stopped, or gaps between consecutive write windows
  kMiscalibrated,  ///< write offset far from the bucket's peers
  kSilent,         ///< digital silence for a long time while not muted
  kClipping,       ///< uploads reaching full scale
  kReconnects,     ///< reset_user_state again and again (reconnect storm)
  kCodecResets,    ///< the decoder was reset after errors
};
inline constexpr std::size_t kProblemKinds = 7;
/// Wire and metrics name: late, missing, miscalibrated, silent, clipping, reconnects,
/// codec_resets.
std::string_view problem_name(Problem p);

// Thresholds (named, with units; documented in the README's chart section).
/// A request is late when its read lag exceeds the singer's recent minimum by this much.
inline constexpr Clock kLateSamples = kSampleRate / 4;  // 250 ms
/// A read lag this far above the baseline is a move to another delay (the page pauses to
/// move back a bucket, 3 s), not a late request.
inline constexpr Clock kDelayChangeSamples = kSampleRate * 3 / 2;
/// Decayed event counts halve every this many samples (about a 30 s memory).
inline constexpr Clock kEventHalfLifeSamples = Clock{20} * kSampleRate;
/// Flag thresholds on the decayed counts.
inline constexpr double kLateEvents = 3.0;
/// ...and at least this many times the room's median count (everyone late: the room's problem).
inline constexpr float kLateOverRoom = 3.0f;
inline constexpr double kGapEvents = 2.0;
inline constexpr double kClippedUploads = 3.0;
inline constexpr double kReconnectEvents = 3.0;
inline constexpr double kCodecResetEvents = 2.0;
/// Uploads have stopped when an active singer sent nothing for this long (clients send every
/// 60–1,000 ms).
inline constexpr Clock kMissingSamples = Clock{2} * kSampleRate;
/// Write offset (read clock − write clock) this far from the bucket's median: mis-calibrated.
inline constexpr Clock kMiscalibratedSamples = kSampleRate / 4;  // 250 ms
/// A bucket needs this many singers with write windows for a median to mean anything.
inline constexpr std::size_t kMinPeersForMedian = 3;
/// RMS below this (−70 dBFS) is silence; silent for this long is flagged.
inline constexpr float kSilentRms = 3.2e-4f;
inline constexpr Clock kSilentSamples = Clock{10} * kSampleRate;
/// A decoded sample this loud counts as clipped.
inline constexpr float kClipPeak = 0.99f;
/// Read lags remembered per singer for the late baseline.
inline constexpr std::size_t kLagHistory = 16;

/// What one successful exchange tells the detectors.
struct UploadObservation {
  UserId user = 0;
  Clock arrival = 0;  ///< server clock of the room step
  Clock read_clock = 0;
  std::optional<Clock> write_clock;
  Clock n_samples = 0;
  std::span<const float> upload;  ///< decoded audio; empty when none was sent
  bool reset_user_state = false;
  std::uint32_t codec_resets = 0;  ///< the singer's codec resets so far (Singer::codec_resets)
};

/// One singer's verdict, parallel to RoomSnapshot::singers.
struct SingerAssessment {
  std::uint8_t problems = 0;       ///< bit (1 << Problem)
  float late_ms = 0;               ///< the newest late request's lateness beyond the baseline
  float silent_s = 0;              ///< current run of silence
  float rms = 0;                   ///< last upload
  float peak = 0;                  ///< last upload
  float write_offset_ms = 0;       ///< read clock − write clock of the last upload (0: none)
  float offset_from_peers_ms = 0;  ///< write offset − the bucket's median
  float since_last_s = 0;          ///< time since the last request
  float late_events = 0, gap_events = 0, clipped_uploads = 0, reconnects = 0, codec_resets = 0;
  bool has(Problem p) const { return problems >> static_cast<int>(p) & 1; }
};

/// Active singers flagged, per kind.
using ProblemCounts = std::array<std::uint32_t, kProblemKinds>;

/// 0-based bucket of a delay, as the singer page numbers them (shown 1-based): round((delay −
/// first bucket) / 3 s) clamped to the six buckets.
int bucket_index(Clock delay_samples, int first_bucket);

/// The Prometheus gauge brigade_singer_problems{kind="…"}: active singers flagged, per kind.
void append_problem_metrics(std::string& out, const ProblemCounts& counts);

class SingerHealth {
 public:
  /// Room for `max_singers` active singers (and as many recently gone).
  explicit SingerHealth(std::size_t max_singers);

  /// Exchange path: no allocation; locks one short update.
  void record(const UploadObservation& o);

  /// Assesses every singer of `snapshot` at its server clock; `out` gets one entry per singer
  /// (reuse it across calls to avoid allocating). Returns the counts per kind.
  ProblemCounts assess(const RoomSnapshot& snapshot, std::vector<SingerAssessment>& out) const;

 private:
  /// A count that halves every kEventHalfLifeSamples.
  struct Decaying {
    double value = 0;
    Clock at = 0;
    double at_time(Clock now) const;
    void add(Clock now, double n = 1.0);
  };
  struct Slot {
    UserId user = 0;
    bool used = false;
    Clock last_arrival = 0;
    std::array<Clock, kLagHistory> lags{};
    std::uint8_t lag_next = 0, lag_count = 0;
    std::optional<Clock> last_read_clock;
    std::optional<Clock> last_write_end;
    std::optional<Clock> write_offset;
    Clock silent_since = -1;  ///< start of the current run of silent uploads; -1: none
    float rms = 0, peak = 0;
    float last_late_ms = 0;  ///< lateness of the newest late request
    std::uint32_t codec_resets_seen = 0;
    Decaying late, gaps, clipped, reconnects, codec_resets;
  };

  Slot* find(UserId user, Clock now, bool insert);
  const Slot* find(UserId user) const;
  static void update(Slot& s, const UploadObservation& o, float rms, float peak);

  mutable std::mutex mutex_;
  std::vector<Slot> slots_;  ///< open addressing, power-of-two size
  std::size_t mask_ = 0;
};

}  // namespace brigade::server
