// brigade: where the room's song is. SongTimeline is the song's clocks as explicit states (the
// API's magic song_start_clock 0 = none and 1 = halted are written by the server's encoder
// only); SongPhase is the coarser view metrics and the drain on shutdown use.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "brigade/engine/clock.hpp"

namespace brigade {

enum class SongStage {
  kNone,     ///< no song since the room was last quiet
  kRunning,  ///< started, not ended: uploads after the start are mixed
  kEnded,    ///< ended at a clock: the later buckets still hear it up to there
  kHalted,   ///< an operator (or someone not leading) stopped it: nothing more is heard
};

/// The song's start and end. Transitions: start_at() from any stage; end_at() and halt()
/// as named. Only running and ended songs have clocks.
class SongTimeline {
 public:
  SongStage stage() const { return stage_; }
  bool running() const { return stage_ == SongStage::kRunning; }
  /// Running or ended: start() is meaningful.
  bool started() const { return stage_ == SongStage::kRunning || stage_ == SongStage::kEnded; }
  Clock start() const { return start_; }
  /// The end clock of an ended song.
  std::optional<Clock> end() const {
    return stage_ == SongStage::kEnded ? std::optional<Clock>(end_) : std::nullopt;
  }

  void start_at(Clock start) {
    stage_ = SongStage::kRunning;
    start_ = start;
    end_ = 0;
  }
  /// Ends a running song at `end` (no effect otherwise).
  void end_at(Clock end) {
    if (!running()) return;
    stage_ = SongStage::kEnded;
    end_ = end;
  }
  void halt() { stage_ = SongStage::kHalted; }

  /// A read of `iv` hears the song: it started and `iv` begins before its end.
  bool audible(Interval iv) const {
    return running() || (stage_ == SongStage::kEnded && iv.begin < end_);
  }
  /// An upload of `iv` is mixed: audible and ending after the start.
  bool takes_upload(Interval iv) const { return audible(iv) && iv.end > start_; }
  /// `span` cut to the song (empty when no song has started; cut at the end of an ended one).
  Interval clip(Interval span) const {
    if (!started()) return {span.begin, span.begin};
    if (stage_ == SongStage::kEnded && span.end > end_) span.end = end_;
    return span;
  }

  friend bool operator==(const SongTimeline&, const SongTimeline&) = default;

 private:
  SongStage stage_ = SongStage::kNone;
  Clock start_ = 0;
  Clock end_ = 0;
};

enum class SongPhase {
  kIdle,       ///< no song and no leader, or the last song's recording is complete
  kLeading,    ///< someone took the lead; the song has not started
  kSinging,    ///< started and not ended
  kFinishing,  ///< ended; the later buckets are still singing the end and it is being recorded
};

inline constexpr std::array<SongPhase, 4> kSongPhases{SongPhase::kIdle, SongPhase::kLeading,
                                                      SongPhase::kSinging, SongPhase::kFinishing};

/// "idle", "leading", "singing", "finishing".
constexpr std::string_view to_string(SongPhase phase) {
  switch (phase) {
    case SongPhase::kIdle:
      return "idle";
    case SongPhase::kLeading:
      return "leading";
    case SongPhase::kSinging:
      return "singing";
    case SongPhase::kFinishing:
      return "finishing";
  }
  return "idle";
}

}  // namespace brigade
