// brigade: the debug stream's deltas (GET /api/debug/stream?delta=1).
#include "debug_delta.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string_view>

#include "debug_state.hpp"
#include "wire/json_writer.hpp"

namespace brigade::server {
using wire::append_json_int;
using wire::append_json_uint;

namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

/// A value as the compact form rounds it (`scale` = 10^decimals); NaN and infinities as one.
std::uint64_t rounded(double v, double scale) {
  if (!std::isfinite(v)) return 0x7ff0'0000'0000'0001ULL;
  return static_cast<std::uint64_t>(std::llround(v * scale));
}

/// What a compact row shows, in absolute clocks (a row's "ago" numbers move with the clock;
/// that alone is no change), and since_last_s, which moves with the clock too, in whole
/// seconds: a singer that stopped sending is resent once a second, the others when they send.
std::uint64_t fingerprint(const SingerView& s, const SingerAssessment& a) {
  std::uint64_t h = std::hash<std::string_view>{}(s.name);
  h = mix(h, static_cast<std::uint64_t>(s.delay_samples));
  h = mix(h, static_cast<std::uint64_t>(s.read_window.begin));
  h = mix(h, static_cast<std::uint64_t>(s.read_window.end));
  h = mix(h, s.write_window ? static_cast<std::uint64_t>(s.write_window->begin) : ~0ULL);
  h = mix(h, s.write_window ? static_cast<std::uint64_t>(s.write_window->end) : ~0ULL);
  h = mix(h, rounded(s.rms, 1e4));
  h = mix(h, rounded(s.mic_volume, 1e3));
  h = mix(h, (s.leader ? 1u : 0u) | (s.muted ? 2u : 0u) | (s.spectator ? 4u : 0u) |
                 (s.soloed ? 8u : 0u) | (s.headphones ? 0u : 16u));
  h = mix(h, a.problems);
  h = mix(h, rounded(a.late_ms, 1));
  h = mix(h, rounded(a.write_offset_ms, 1));
  h = mix(h, rounded(a.offset_from_peers_ms, 1));
  h = mix(h, rounded(a.silent_s, 10));
  const bool seconds_ok = std::isfinite(a.since_last_s) && a.since_last_s >= 0.0f;
  h = mix(h, seconds_ok ? static_cast<std::uint64_t>(a.since_last_s) : ~0ULL);
  h = mix(h, rounded(a.peak, 1e3));
  h = mix(h, rounded(a.reconnects, 10));
  return mix(h, rounded(a.codec_resets, 10));
}

}  // namespace

std::string DebugDeltaEncoder::delta(const RoomSnapshot& snapshot, double requests_per_second,
                                     std::span<const SingerAssessment> health,
                                     const ProblemCounts& counts) {
  const auto& occupancy = snapshot.occupancy;
  std::string out;
  out.reserve(4 * 1024);
  out += "{\"format\":\"delta\",\"server_clock\":";
  append_json_int(out, snapshot.server_clock);
  out += ",\"cleared_to\":";
  if (snapshot.cleared_to) {
    append_json_int(out, *snapshot.cleared_to);
  } else {
    out += "null";
  }
  out += ",\"occupancy\":{\"clock\":";
  append_json_int(out, occupancy.clock);
  out += ",\"occupied_frames\":";
  append_json_int(out, occupancy.count());
  out += ",\"run_count\":";
  append_json_uint(out, occupancy.runs().size());
  out += ",\"words\":[";
  bool first = true;
  for (std::size_t i = 0; i < kOccupancyWords; ++i) {
    const std::uint64_t w = occupancy.words[i];
    if (w == words_[i]) continue;
    if (!first) out += ',';
    first = false;
    out += '[';
    append_json_uint(out, i);
    out += ',';
    append_json_uint(out, w & 0xffff'ffffULL);
    out += ',';
    append_json_uint(out, w >> 32);
    out += ']';
  }
  out += "]}";
  debug_json::append_room_fields(out, snapshot, requests_per_second, counts);
  append_singers(out, snapshot, health);
  out += '}';
  words_ = occupancy.words;
  return out;
}

void DebugDeltaEncoder::append_singers(std::string& out, const RoomSnapshot& snapshot,
                                       std::span<const SingerAssessment> health) {
  const SingerAssessment none;
  next_.clear();
  for (std::size_t i = 0; i < snapshot.singers.size(); ++i) {
    const SingerView& s = snapshot.singers[i];
    next_.push_back({.id = s.id,
                     .fingerprint = fingerprint(s, i < health.size() ? health[i] : none),
                     .index = static_cast<std::uint32_t>(i)});
  }
  std::sort(next_.begin(), next_.end(), [](const Sent& a, const Sent& b) { return a.id < b.id; });
  // Both lists are sorted by id: one merge finds the changed, the new and the gone.
  std::string gone;
  out += ",\"singers\":[";
  bool first = true;
  auto old = sent_.begin();
  for (const Sent& now : next_) {
    for (; old != sent_.end() && old->id < now.id; ++old) {
      gone += gone.empty() ? "\"" : ",\"";
      append_json_uint(gone, old->id);
      gone += '"';
    }
    const bool same =
        old != sent_.end() && old->id == now.id && old->fingerprint == now.fingerprint;
    if (old != sent_.end() && old->id == now.id) ++old;
    if (same) continue;
    if (!first) out += ',';
    first = false;
    const auto i = now.index;
    debug_json::append_singer_compact(out, snapshot.singers[i], snapshot.server_clock,
                                      snapshot.first_bucket, i < health.size() ? health[i] : none);
  }
  for (; old != sent_.end(); ++old) {
    gone += gone.empty() ? "\"" : ",\"";
    append_json_uint(gone, old->id);
    gone += '"';
  }
  out += "],\"gone\":[";
  out += gone;
  out += ']';
  sent_.swap(next_);
}

}  // namespace brigade::server
