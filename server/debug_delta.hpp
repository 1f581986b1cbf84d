// brigade: the debug stream's deltas (GET /api/debug/stream?delta=1): per viewer, what its last
// message told it, so that the next one carries only what changed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "brigade/engine/room.hpp"
#include "singer_health.hpp"

namespace brigade::server {

/// A whole (compact) state every this many messages, between deltas: 5 s at 10 Hz. A viewer
/// that missed nothing needs none, but it bounds what a bug could leave wrong on a chart.
inline constexpr int kDebugDeltaFullEvery = 50;

/// One per debug-stream viewer. The first message, and every kDebugDeltaFullEvery-th, is the
/// whole compact state; the others are deltas against the previous message (README, "The debug
/// stream"): the top-level numbers, the bitmap words that changed, the singers whose rows
/// changed (windows moved, level, problems…, since_last_s by whole seconds), and the ids gone.
class DebugDeltaEncoder {
 public:
  std::string next(const RoomSnapshot& snapshot, double requests_per_second,
                   std::span<const SingerAssessment> health, const ProblemCounts& counts);

 private:
  struct Sent {
    UserId id = 0;
    std::uint64_t fingerprint = 0;  ///< of the row's absolute content (not since_last_s)
    std::uint32_t index = 0;        ///< in the snapshot it was taken from
  };
  std::string delta(const RoomSnapshot& snapshot, double requests_per_second,
                    std::span<const SingerAssessment> health, const ProblemCounts& counts);

  std::array<std::uint64_t, kOccupancyWords> words_{};
  std::vector<Sent> sent_;  ///< by id, ascending
  std::vector<Sent> next_;
  int since_full_ = -1;  ///< -1: nothing sent yet
};

}  // namespace brigade::server
