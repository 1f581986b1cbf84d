// brigade: the operators' debug view of the room as JSON (GET /api/debug/state).
#include "debug_state.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "brigade/engine/buckets.hpp"
#include "wire/json_writer.hpp"
#include "wire/song_clocks.hpp"

namespace brigade::server {
using wire::append_json_double;
using wire::append_json_int;
using wire::append_json_string;
using wire::append_json_uint;

namespace {

/// Bytes of the bitmap on the wire: one bit per ring frame, no padding word.
constexpr std::size_t kBitmapBytes = (kRingFrames + 7) / 8;
static_assert(kBitmapBytes == 5'625);
static_assert(kBitmapBytes <= kOccupancyWords * 8);
constexpr int kBuckets = kMaxFollowBuckets + 1;
/// Bytes reserved per singer before serializing (names are short; the string grows if not).
constexpr std::size_t kBytesPerSinger = 160;

/// Singer flags of the compact form (a bit mask).
enum SingerFlag : unsigned {
  kFlagLeader = 1,
  kFlagMuted = 2,
  kFlagSpectator = 4,
  kFlagSoloed = 8,
  kFlagNoHeadphones = 16,
};

void append_int(std::string& out, long long v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

/// Fixed decimals, shortest form (0.141, 3.06, 0): levels and seconds for people, not float
/// noise.
void append_fixed(std::string& out, double v, int decimals) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  if (decimals == 0) {
    append_int(out, std::llround(v));
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (std::string_view(buf, end).find('.') != std::string_view::npos) {
    while (end[-1] == '0') --end;
    if (end[-1] == '.') --end;
  }
  if (std::string_view(buf, end) == "-0") {
    out += '0';
    return;
  }
  out.append(buf, end);
}

void key(std::string& out, std::string_view k) {
  out += '"';
  out += k;
  out += "\":";
}

/// RFC 4648 base64 of the bitmap as little-endian bytes: bit f of the ring is bit (f % 8) of
/// byte f / 8, whatever the host's byte order.
void append_bitmap_base64(std::string& out, const OccupancySnapshot& occupancy) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte = [&](std::size_t i) -> std::uint32_t {
    return static_cast<std::uint8_t>(occupancy.words[i / 8] >> (8 * (i % 8)));
  };
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= kBitmapBytes; i += 3) {
    const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    const char quad[4] = {kAlphabet[v >> 18 & 63], kAlphabet[v >> 12 & 63], kAlphabet[v >> 6 & 63],
                          kAlphabet[v & 63]};
    out.append(quad, 4);
  }
  if (const std::size_t rest = kBitmapBytes - i; rest > 0) {
    std::uint32_t v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += rest == 2 ? kAlphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  out += '"';
}

void append_occupancy(std::string& out, const OccupancySnapshot& occupancy) {
  out += "{\"clock\":";
  append_int(out, occupancy.clock);
  out += ",\"bits_base64\":";
  append_bitmap_base64(out, occupancy);
  out += ",\"runs\":[";
  bool first = true;
  for (const auto& r : occupancy.runs()) {
    if (!first) out += ',';
    first = false;
    out += '[';
    append_int(out, r.first_frame);
    out += ',';
    append_int(out, r.length);
    out += ']';
  }
  out += "],\"occupied_frames\":";
  append_int(out, occupancy.count());
  out += '}';
}

double delay_seconds(const SingerView& s) {
  return static_cast<double>(s.delay_samples) / kSampleRate;
}

/// Buckets as the singer page names them: number 1–6, nominal delay, members, and the median
/// of the members' measured delays (what the table shows).
void append_buckets(std::string& out, const RoomSnapshot& snap) {
  std::array<std::vector<double>, kBuckets> delays;
  std::array<std::string_view, kBuckets> leaders{};
  for (const auto& s : snap.singers) {
    const auto b = static_cast<std::size_t>(bucket_index(s.delay_samples, snap.first_bucket));
    delays[b].push_back(delay_seconds(s));
    if (s.leader) leaders[b] = s.name;
  }
  out += '[';
  for (std::size_t b = 0; b < delays.size(); ++b) {
    if (b) out += ',';
    auto& d = delays[b];
    out += "{\"number\":";
    append_int(out, static_cast<long long>(b) + 1);
    out += ",\"delay_seconds\":";
    append_int(out, snap.first_bucket + kBucketSeconds * static_cast<long long>(b));
    out += ",\"singers\":";
    append_int(out, static_cast<long long>(d.size()));
    out += ",\"median_delay_seconds\":";
    if (d.empty()) {
      out += "null";
    } else {
      auto mid = d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2);
      std::nth_element(d.begin(), mid, d.end());
      append_fixed(out, *mid, 3);
    }
    out += ",\"leader\":";
    if (leaders[b].empty()) {
      out += "null";
    } else {
      append_json_string(out, leaders[b]);
    }
    out += '}';
  }
  out += ']';
}

void append_problem_counts(std::string& out, const ProblemCounts& counts) {
  out += '{';
  for (std::size_t k = 0; k < kProblemKinds; ++k) {
    if (k) out += ',';
    key(out, problem_name(static_cast<Problem>(k)));
    append_int(out, counts[k]);
  }
  out += '}';
}

void append_problem_names(std::string& out, const SingerAssessment& a) {
  out += '[';
  bool first = true;
  for (std::size_t k = 0; k < kProblemKinds; ++k) {
    if (!a.has(static_cast<Problem>(k))) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += problem_name(static_cast<Problem>(k));
    out += '"';
  }
  out += ']';
}

void append_window(std::string& out, Interval iv) {
  out += '[';
  append_int(out, iv.begin);
  out += ',';
  append_int(out, iv.end);
  out += ']';
}

void append_bool(std::string& out, std::string_view k, bool v) {
  out += ',';
  key(out, k);
  out += v ? "true" : "false";
}

void append_singer_full(std::string& out, const SingerView& s, int first_bucket,
                        const SingerAssessment& a) {
  out += "{\"id\":\"";
  append_int(out, static_cast<long long>(s.id));
  out += "\",\"name\":";
  append_json_string(out, s.name);
  out += ",\"delay_seconds\":";
  append_json_double(out, delay_seconds(s));
  const int b = bucket_index(s.delay_samples, first_bucket);
  out += ",\"bucket\":";
  append_int(out, b);
  out += ",\"bucket_number\":";
  append_int(out, b + 1);
  out += ",\"read_window\":";
  append_window(out, s.read_window);
  out += ",\"write_window\":";
  if (s.write_window) {
    append_window(out, *s.write_window);
  } else {
    out += "null";
  }
  out += ",\"rms\":";
  append_fixed(out, s.rms, 6);
  out += ",\"mic_volume\":";
  append_fixed(out, s.mic_volume, 6);
  append_bool(out, "muted", s.muted);
  append_bool(out, "spectator", s.spectator);
  append_bool(out, "leader", s.leader);
  append_bool(out, "soloed", s.soloed);
  append_bool(out, "headphones", s.headphones);
  out += ",\"problems\":";
  append_problem_names(out, a);
  out += ",\"health\":{\"late_ms\":";
  append_fixed(out, a.late_ms, 0);
  out += ",\"write_offset_ms\":";
  append_fixed(out, a.write_offset_ms, 0);
  out += ",\"offset_from_peers_ms\":";
  append_fixed(out, a.offset_from_peers_ms, 0);
  out += ",\"silent_s\":";
  append_fixed(out, a.silent_s, 1);
  out += ",\"peak\":";
  append_fixed(out, a.peak, 3);
  out += ",\"since_last_s\":";
  append_fixed(out, a.since_last_s, 2);
  out += ",\"late_events\":";
  append_fixed(out, a.late_events, 1);
  out += ",\"gap_events\":";
  append_fixed(out, a.gap_events, 1);
  out += ",\"clipped_uploads\":";
  append_fixed(out, a.clipped_uploads, 1);
  out += ",\"reconnects\":";
  append_fixed(out, a.reconnects, 1);
  out += ",\"codec_resets\":";
  append_fixed(out, a.codec_resets, 1);
  out += "}}";
}

/// Field order of a compact singer (also sent as "singer_fields").
constexpr std::string_view kCompactFields =
    R"(["id","name","delay_ms","bucket","read_begin_ago","read_end_ago","write_begin_ago",)"
    R"("write_end_ago","rms","mic_volume","flags","problems","late_ms","write_offset_ms",)"
    R"("offset_from_peers_ms","silent_s","since_last_s","peak","reconnects","codec_resets"])";

void singer_compact(std::string& out, const SingerView& s, Clock now, int first_bucket,
                    const SingerAssessment& a) {
  out += "[\"";
  append_int(out, static_cast<long long>(s.id));
  out += "\",";
  append_json_string(out, s.name);
  out += ',';
  append_int(out, (s.delay_samples * 1000 + kSampleRate / 2) / kSampleRate);
  out += ',';
  append_int(out, bucket_index(s.delay_samples, first_bucket));
  out += ',';
  append_int(out, now - s.read_window.begin);
  out += ',';
  append_int(out, now - s.read_window.end);
  out += ',';
  if (s.write_window) {
    append_int(out, now - s.write_window->begin);
    out += ',';
    append_int(out, now - s.write_window->end);
  } else {
    out += "null,null";
  }
  out += ',';
  append_fixed(out, s.rms, 4);
  out += ',';
  append_fixed(out, s.mic_volume, 3);
  out += ',';
  const unsigned flags = (s.leader ? kFlagLeader : 0u) | (s.muted ? kFlagMuted : 0u) |
                         (s.spectator ? kFlagSpectator : 0u) | (s.soloed ? kFlagSoloed : 0u) |
                         (s.headphones ? 0u : kFlagNoHeadphones);
  append_int(out, flags);
  out += ',';
  append_int(out, a.problems);
  out += ',';
  append_fixed(out, a.late_ms, 0);
  out += ',';
  append_fixed(out, a.write_offset_ms, 0);
  out += ',';
  append_fixed(out, a.offset_from_peers_ms, 0);
  out += ',';
  append_fixed(out, a.silent_s, 1);
  out += ',';
  append_fixed(out, a.since_last_s, 2);
  out += ',';
  append_fixed(out, a.peak, 3);
  out += ',';
  append_fixed(out, a.reconnects, 1);
  out += ',';
  append_fixed(out, a.codec_resets, 1);
  out += ']';
}

}  // namespace

std::string debug_state_json(const RoomSnapshot& snapshot, double requests_per_second,
                             std::span<const SingerAssessment> health, const ProblemCounts& counts,
                             DebugFormat format) {
  const bool compact = format == DebugFormat::kCompact;
  std::string out;
  out.reserve(8 * 1024 + snapshot.singers.size() * kBytesPerSinger);
  out += compact ? "{\"format\":\"compact\",\"server_clock\":" : "{\"server_clock\":";
  append_int(out, snapshot.server_clock);
  out += ",\"server_sample_rate\":";
  append_int(out, kSampleRate);
  out += ",\"cleared_to\":";
  if (snapshot.cleared_to) {
    append_int(out, *snapshot.cleared_to);
  } else {
    out += "null";
  }
  out += ",\"frame_samples\":";
  append_int(out, kFrameSamples);
  out += ",\"ring_frames\":";
  append_int(out, kRingFrames);
  out += ",\"ring_samples\":";
  append_int(out, kRingSamples);
  out += ",\"occupancy\":";
  append_occupancy(out, snapshot.occupancy);
  debug_json::append_room_fields(out, snapshot, requests_per_second, counts);
  if (compact) {
    out += ",\"singer_fields\":";
    out += kCompactFields;
  }
  out += ",\"singers\":[";
  const SingerAssessment none;
  for (std::size_t i = 0; i < snapshot.singers.size(); ++i) {
    if (i) out += ',';
    const SingerAssessment& a = i < health.size() ? health[i] : none;
    if (compact) {
      singer_compact(out, snapshot.singers[i], snapshot.server_clock, snapshot.first_bucket, a);
    } else {
      append_singer_full(out, snapshot.singers[i], snapshot.first_bucket, a);
    }
  }
  out += "]}";
  return out;
}

namespace debug_json {

void append_room_fields(std::string& out, const RoomSnapshot& snapshot, double requests_per_second,
                        const ProblemCounts& counts) {
  out += ",\"song_start_clock\":";
  append_int(out, wire::song_start_clock(snapshot.song));
  out += ",\"song_end_clock\":";
  append_int(out, wire::song_end_clock(snapshot.song));
  out += ",\"first_bucket\":";
  append_int(out, snapshot.first_bucket);
  out += ",\"requests_per_second\":";
  append_fixed(out, requests_per_second, 2);
  out += ",\"n_active_singers\":";
  append_int(out, static_cast<long long>(snapshot.singers.size()));
  out += ",\"buckets\":";
  append_buckets(out, snapshot);
  out += ",\"problem_counts\":";
  append_problem_counts(out, counts);
}

void append_singer_compact(std::string& out, const SingerView& s, Clock now, int first_bucket,
                           const SingerAssessment& a) {
  singer_compact(out, s, now, first_bucket, a);
}

}  // namespace debug_json

}  // namespace brigade::server
