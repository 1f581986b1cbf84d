// brigade: the operators' debug view of the room as JSON (GET /api/debug/state).
#include "debug_state.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "brigade/engine/buckets.hpp"
#include "wire/song_clocks.hpp"

namespace brigade::server {
namespace {

namespace json = boost::json;

/// Bytes of the bitmap on the wire: one bit per ring frame, no padding word.
constexpr std::size_t kBitmapBytes = (kRingFrames + 7) / 8;
static_assert(kBitmapBytes == 5'625);
static_assert(kBitmapBytes <= kOccupancyWords * 8);

/// Bucket index shown on the chart: 0 = the first bucket (leader), 5 = the last follower bucket.
constexpr int kLastBucketIndex = kMaxFollowBuckets;

/// RFC 4648 base64 of the bitmap as little-endian bytes: bit f of the ring is bit (f % 8) of
/// byte f / 8, whatever the host's byte order.
std::string bitmap_base64(const OccupancySnapshot& occupancy) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<std::uint8_t, kBitmapBytes> bytes{};
  for (std::size_t i = 0; i < kBitmapBytes; ++i) {
    bytes[i] = static_cast<std::uint8_t>(occupancy.words[i / 8] >> (8 * (i % 8)));
  }
  std::string out;
  out.reserve((kBitmapBytes + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= kBitmapBytes; i += 3) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 |
                            std::uint32_t{bytes[i + 2]};
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(kAlphabet[v >> 6 & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (const std::size_t rest = kBitmapBytes - i; rest > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? kAlphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

/// Levels are floats; rounded so the JSON shows 0.1 rather than 0.10000000149011612.
double level(float x) {
  constexpr double kSteps = 1e6;
  return std::round(static_cast<double>(x) * kSteps) / kSteps;
}

json::array interval_json(Interval iv) {
  return json::array{iv.begin, iv.end};
}

/// round((delay_s - first_bucket) / 3) clamped to 0..5: which bucket a singer's delay falls in.
int bucket_of(double delay_seconds, int first_bucket) {
  const double b = std::round((delay_seconds - first_bucket) / kBucketSeconds);
  return static_cast<int>(std::clamp(b, 0.0, double{kLastBucketIndex}));
}

json::object occupancy_json(const OccupancySnapshot& occupancy) {
  json::array runs;
  const auto list = occupancy.runs();
  runs.reserve(list.size());
  for (const auto& r : list) runs.push_back(json::array{r.first_frame, r.length});
  json::object o;
  o["clock"] = occupancy.clock;
  o["bits_base64"] = bitmap_base64(occupancy);
  o["runs"] = std::move(runs);
  o["occupied_frames"] = occupancy.count();
  return o;
}

json::object singer_json(const SingerView& s, int first_bucket) {
  const double delay_seconds = static_cast<double>(s.delay_samples) / kSampleRate;
  json::object o;
  o["id"] = std::to_string(s.id);
  o["name"] = s.name;
  o["delay_seconds"] = delay_seconds;
  o["bucket"] = bucket_of(delay_seconds, first_bucket);
  o["read_window"] = interval_json(s.read_window);
  if (s.write_window) {
    o["write_window"] = interval_json(*s.write_window);
  } else {
    o["write_window"] = nullptr;
  }
  o["rms"] = level(s.rms);
  o["mic_volume"] = level(s.mic_volume);
  o["muted"] = s.muted;
  o["spectator"] = s.spectator;
  o["leader"] = s.leader;
  o["soloed"] = s.soloed;
  o["headphones"] = s.headphones;
  return o;
}

}  // namespace

std::string debug_state_json(const RoomSnapshot& snapshot, double requests_per_second) {
  json::array singers;
  singers.reserve(snapshot.singers.size());
  for (const auto& s : snapshot.singers) singers.push_back(singer_json(s, snapshot.first_bucket));

  json::object o;
  o["server_clock"] = snapshot.server_clock;
  o["server_sample_rate"] = kSampleRate;
  if (snapshot.cleared_to) {
    o["cleared_to"] = *snapshot.cleared_to;
  } else {
    o["cleared_to"] = nullptr;
  }
  o["frame_samples"] = kFrameSamples;
  o["ring_frames"] = kRingFrames;
  o["ring_samples"] = kRingSamples;
  o["occupancy"] = occupancy_json(snapshot.occupancy);
  o["song_start_clock"] = wire::song_start_clock(snapshot.song);
  o["song_end_clock"] = wire::song_end_clock(snapshot.song);
  o["first_bucket"] = snapshot.first_bucket;
  o["requests_per_second"] = requests_per_second;
  o["n_active_singers"] = snapshot.singers.size();
  o["singers"] = std::move(singers);
  return json::serialize(o);
}

}  // namespace brigade::server
