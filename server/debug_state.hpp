// brigade: the operators' debug view of the room as JSON (GET /api/debug/state).
#pragma once

#include <string>

#include "brigade/engine/room.hpp"

namespace brigade::server {

/// Serializes a snapshot (taken under the room lock, serialized outside it).
/// `requests_per_second` is measured by the caller.
std::string debug_state_json(const RoomSnapshot& snapshot, double requests_per_second);

}  // namespace brigade::server
