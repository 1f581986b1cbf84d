// brigade: which rooms the graceful drain still waits for. Every room's song counts: the drain
// ends when no room is singing or finishing a song (or at the timeout, which Drain keeps).
// Pure bookkeeping over the rooms' states, so it is tested without signals or a server.
#pragma once

#include <string>
#include <vector>

#include "brigade/engine/song_phase.hpp"

namespace brigade::server {

/// One room as the drain sees it (from RoomDirectory::list()).
struct DrainRoomState {
  std::string name;
  SongPhase phase = SongPhase::kIdle;
  int singers = 0;  ///< active singers (heard from within 5 s)
};

class DrainWait {
 public:
  /// A room the drain waited for whose song no longer needs the server.
  struct Ended {
    std::string room;
    const char* reason;  ///< "song finished", "singers left" or "room closed"
  };

  /// Takes the rooms as they are now; returns the rooms waited for until now that no longer
  /// hold the drain, with why. Rooms whose song starts later (a leader already in the room)
  /// are waited for from then on: the timeout bounds the whole drain.
  std::vector<Ended> update(const std::vector<DrainRoomState>& rooms);

  /// Rooms with a song that keeps the server up, in the order given to update().
  const std::vector<std::string>& waiting() const { return waiting_; }
  /// Some room held the drain at some update.
  bool waited() const { return waited_; }
  /// Why the last room stopped holding the drain (nullptr until one did).
  const char* last_reason() const { return last_reason_; }

  /// A song holds the drain while singing or finishing, unless nobody sings it any more (a
  /// song nobody sings would never end by itself).
  static bool holds(const DrainRoomState& room);

 private:
  std::vector<std::string> waiting_;
  bool waited_ = false;
  const char* last_reason_ = nullptr;
};

/// `names` joined with ", " (the log's and /readyz's list of rooms).
std::string join_room_names(const std::vector<std::string>& names);

}  // namespace brigade::server
