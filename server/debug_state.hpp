// brigade: the operators' debug view of the room as JSON (GET /api/debug/state).
#pragma once

#include <span>
#include <string>

#include "brigade/engine/room.hpp"
#include "singer_health.hpp"

namespace brigade::server {

enum class DebugFormat {
  kFull,     ///< one object per singer, absolute clocks (the documented schema)
  kCompact,  ///< ?compact=1: one array per singer, clocks as samples before server_clock
};

/// Serializes a snapshot (taken under the room lock, serialized outside it). `health` is
/// parallel to snapshot.singers (or empty: no problems known); `requests_per_second` is
/// measured by the caller. Written by hand with to_chars: at 1,000 singers it is the cost of
/// the chart.
std::string debug_state_json(const RoomSnapshot& snapshot, double requests_per_second,
                             std::span<const SingerAssessment> health = {},
                             const ProblemCounts& counts = {},
                             DebugFormat format = DebugFormat::kFull);

/// Pieces of the state's JSON, shared with the debug stream's deltas (debug_delta.cpp), written
/// exactly as debug_state_json writes them.
namespace debug_json {
/// ,"song_start_clock":…,"song_end_clock":…,"first_bucket":…,"requests_per_second":…,
/// "n_active_singers":…,"buckets":[…],"problem_counts":{…}
void append_room_fields(std::string& out, const RoomSnapshot& snapshot, double requests_per_second,
                        const ProblemCounts& counts);
/// One singer of the compact form, clocks as samples before `now`.
void append_singer_compact(std::string& out, const SingerView& s, Clock now, int first_bucket,
                           const SingerAssessment& a);
}  // namespace debug_json

}  // namespace brigade::server
