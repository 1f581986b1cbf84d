// brigade: the server's /metrics from its rooms' expositions. Each room renders its own families
// (what /r/<room>/metrics shows); the server-wide scrape lists every family once, with one
// series per open room under a `room` label (at most --max-rooms + 1 values), so nothing a room
// counts is left out. Families about the process, not a room, appear once, unlabelled.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace brigade::server {

/// One room's Prometheus text, as Router::exposition renders it.
struct RoomExposition {
  std::string_view room;  ///< a room name (room_name.hpp: no character needs escaping)
  std::string_view text;
};

/// Families about the whole process (build, readiness, drain, ring size, process_*): taken
/// once, unlabelled, from the first exposition (the default room's).
bool is_server_family(std::string_view family);

/// The expositions merged: each family's HELP and TYPE once, then its samples for every room
/// in order, `room="<name>"` first among their labels. Families come in order of first
/// appearance. Expects our own renderers' layout: each family starts with its "# HELP" line.
std::string merge_room_expositions(std::span<const RoomExposition> rooms);

}  // namespace brigade::server
