// brigade: where the room's song is, for metrics and for the drain on shutdown.
#pragma once

#include <array>
#include <string_view>

namespace brigade {

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
