// brigade: writes the room's events (joins, departures, lead, song start/stop) to the log,
// after the room lock is released.
#pragma once

#include "brigade/engine/room.hpp"

namespace brigade::server {

/// Takes the events waiting in `room` and logs one line each (info), plus a limit_hit line
/// when some were dropped. Call it outside the room lock, off the steady-state path: after an
/// exchange whose result has room_events set, and periodically after Room::sweep_departures().
void log_room_events(Room& room);

}  // namespace brigade::server
