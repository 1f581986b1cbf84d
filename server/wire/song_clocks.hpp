// brigade wire: the song's clocks as the API reports them (song_start_clock, song_end_clock):
// 0 = no song (start) or not ended (end), 1 = halted (both). The engine keeps an explicit
// SongTimeline; these magic values exist on the wire only.
#pragma once

#include "brigade/engine/song_phase.hpp"

namespace brigade::server::wire {

inline constexpr Clock kNoSongClock = 0;
inline constexpr Clock kHaltedSongClock = 1;

inline Clock song_start_clock(const SongTimeline& song) {
  if (song.stage() == SongStage::kHalted) return kHaltedSongClock;
  return song.started() ? song.start() : kNoSongClock;
}

inline Clock song_end_clock(const SongTimeline& song) {
  if (song.stage() == SongStage::kHalted) return kHaltedSongClock;
  return song.end().value_or(kNoSongClock);
}

}  // namespace brigade::server::wire
