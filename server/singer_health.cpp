// brigade: per-singer problem detectors.
#include "singer_health.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "brigade/engine/buckets.hpp"
#include "brigade/engine/volume.hpp"

namespace brigade::server {
namespace {

/// Slots per singer the room may hold: active singers plus those recently gone, with the
/// table at most half full so probes stay short.
constexpr std::size_t kSlotsPerSinger = 4;
/// A slot not heard from for this long may be reused for another singer.
constexpr Clock kStaleSamples = Clock{30} * kSampleRate;
constexpr int kBuckets = kMaxFollowBuckets + 1;

float ms(Clock samples) {
  return static_cast<float>(samples) * 1000.0f / kSampleRate;
}

std::size_t hash(UserId id) {
  // Fibonacci hashing: ids are often sequential or random; both spread well.
  return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 17);
}

}  // namespace

std::string_view problem_name(Problem p) {
  switch (p) {
    case Problem::kLate:
      return "late";
    case Problem::kMissing:
      return "missing";
    case Problem::kMiscalibrated:
      return "miscalibrated";
    case Problem::kSilent:
      return "silent";
    case Problem::kClipping:
      return "clipping";
    case Problem::kReconnects:
      return "reconnects";
    case Problem::kCodecResets:
      return "codec_resets";
  }
  return "unknown";
}

int bucket_index(Clock delay_samples, int first_bucket) {
  const double seconds = static_cast<double>(delay_samples) / kSampleRate;
  const double b = std::round((seconds - first_bucket) / kBucketSeconds);
  return static_cast<int>(std::clamp(b, 0.0, double{kBuckets - 1}));
}

void append_problem_metrics(std::string& out, const ProblemCounts& counts) {
  out += "# HELP brigade_singer_problems Active singers the operators' chart flags, by problem.\n";
  out += "# TYPE brigade_singer_problems gauge\n";
  for (std::size_t k = 0; k < kProblemKinds; ++k) {
    out += "brigade_singer_problems{kind=\"";
    out += problem_name(static_cast<Problem>(k));
    out += "\"} ";
    out += std::to_string(counts[k]);
    out += '\n';
  }
}

double SingerHealth::Decaying::at_time(Clock now) const {
  if (value == 0) return 0;
  const double halves = static_cast<double>(std::max<Clock>(0, now - at)) / kEventHalfLifeSamples;
  return value * std::exp2(-halves);
}

void SingerHealth::Decaying::add(Clock now, double n) {
  value = at_time(now) + n;
  at = now;
}

SingerHealth::SingerHealth(std::size_t max_singers)
    : slots_(std::bit_ceil(std::max<std::size_t>(max_singers, 1) * kSlotsPerSinger)),
      mask_(slots_.size() - 1) {}

SingerHealth::Slot* SingerHealth::find(UserId user, Clock now, bool insert) {
  Slot* reusable = nullptr;
  for (std::size_t i = hash(user), probes = 0; probes <= mask_; ++i, ++probes) {
    Slot& s = slots_[i & mask_];
    if (!s.used) {
      if (!insert) return nullptr;
      return reusable ? reusable : &s;
    }
    if (s.user == user) return &s;
    if (!reusable && now - s.last_arrival > kStaleSamples) reusable = &s;
  }
  return insert ? reusable : nullptr;  // full of live singers: this one goes untracked
}

const SingerHealth::Slot* SingerHealth::find(UserId user) const {
  for (std::size_t i = hash(user), probes = 0; probes <= mask_; ++i, ++probes) {
    const Slot& s = slots_[i & mask_];
    if (!s.used) return nullptr;
    if (s.user == user) return &s;
  }
  return nullptr;
}

void SingerHealth::record(const UploadObservation& o) {
  // Levels first, outside the lock. Eigen's reductions are vectorized; a hand-rolled
  // max loop was not (scalar maxss with branches, 6 % of a core at 600 singers).
  const float level = rms(o.upload);
  const float top = peak(o.upload);
  std::lock_guard lock(mutex_);
  Slot* s = find(o.user, o.arrival, true);
  if (!s) return;
  if (!s->used || s->user != o.user) {
    *s = Slot{};
    s->user = o.user;
    s->used = true;
  }
  update(*s, o, level, top);
}

void SingerHealth::update(Slot& s, const UploadObservation& o, float rms, float peak) {
  const Clock now = o.arrival;
  if (o.reset_user_state) {
    s.reconnects.add(now);
    s.last_write_end.reset();
  }
  // Lateness is measured along contiguous reads: a reconnect or a jump to another delay (a
  // new bucket) starts a new baseline.
  if (o.reset_user_state || !s.last_read_clock ||
      o.read_clock - o.n_samples != *s.last_read_clock) {
    s.lag_count = 0;
  }
  s.last_read_clock = o.read_clock;
  if (o.codec_resets > s.codec_resets_seen) {
    // reset_user_state resets the codecs too; only the others are errors.
    const auto errors = o.codec_resets - s.codec_resets_seen - (o.reset_user_state ? 1u : 0u);
    if (errors > 0 && s.last_arrival != 0) s.codec_resets.add(now, errors);
    s.codec_resets_seen = o.codec_resets;
  }
  // Late: the read lag against the singer's recent minimum (its steady delay).
  const Clock lag = now - o.read_clock;
  Clock baseline = lag;
  for (std::size_t i = 0; i < s.lag_count; ++i) baseline = std::min(baseline, s.lags[i]);
  s.lags[s.lag_next] = lag;
  s.lag_next = static_cast<std::uint8_t>((s.lag_next + 1) % kLagHistory);
  s.lag_count = static_cast<std::uint8_t>(std::min<std::size_t>(s.lag_count + 1, kLagHistory));
  if (lag - baseline > kDelayChangeSamples) {
    // Not late: the client paused to move back to a later bucket (its reads stay contiguous).
    s.lag_count = 1;
    s.lag_next = 1;
    s.lags[0] = lag;
  } else if (lag - baseline > kLateSamples) {
    s.late.add(now);
    s.last_late_ms = ms(lag - baseline);
  }
  // Gaps between consecutive write windows.
  if (o.write_clock) {
    const Clock begin = *o.write_clock - o.n_samples;
    if (s.last_write_end && begin > *s.last_write_end) s.gaps.add(now);
    s.last_write_end = *o.write_clock;
    s.write_offset = o.read_clock - *o.write_clock;
  }
  // Levels.
  if (!o.upload.empty()) {
    s.rms = rms;
    s.peak = peak;
    if (rms < kSilentRms) {
      if (s.silent_since < 0) s.silent_since = now - o.n_samples;
    } else {
      s.silent_since = -1;
    }
    if (peak >= kClipPeak) s.clipped.add(now);
  } else {
    s.silent_since = -1;  // nothing sent: listening, not silent
  }
  s.last_arrival = now;
}

ProblemCounts SingerHealth::assess(const RoomSnapshot& snapshot,
                                   std::vector<SingerAssessment>& out) const {
  const Clock now = snapshot.server_clock;
  out.assign(snapshot.singers.size(), SingerAssessment{});
  std::vector<std::optional<Clock>> offsets(snapshot.singers.size());
  std::array<std::vector<Clock>, kBuckets> by_bucket;
  std::vector<int> buckets(snapshot.singers.size());
  for (std::size_t i = 0; i < snapshot.singers.size(); ++i) {
    const SingerView& v = snapshot.singers[i];
    Slot s;
    {
      std::lock_guard lock(mutex_);  // one slot copied per lock: exchanges wait at most that
      const Slot* found = find(v.id);
      if (!found) continue;
      s = *found;
    }
    SingerAssessment& a = out[i];
    auto flag = [&a](Problem p, bool on) {
      if (on) a.problems |= static_cast<std::uint8_t>(1u << static_cast<int>(p));
    };
    a.rms = s.rms;
    a.peak = s.peak;
    a.since_last_s = static_cast<float>(now - s.last_arrival) / kSampleRate;
    a.late_events = static_cast<float>(s.late.at_time(now));
    a.gap_events = static_cast<float>(s.gaps.at_time(now));
    a.clipped_uploads = static_cast<float>(s.clipped.at_time(now));
    a.reconnects = static_cast<float>(s.reconnects.at_time(now));
    a.codec_resets = static_cast<float>(s.codec_resets.at_time(now));
    a.late_ms = a.late_events >= kLateEvents ? s.last_late_ms : 0.0f;
    a.silent_s = s.silent_since < 0 ? 0.0f : static_cast<float>(now - s.silent_since) / kSampleRate;
    flag(Problem::kMissing, now - s.last_arrival >= kMissingSamples || a.gap_events >= kGapEvents);
    flag(Problem::kSilent,
         !v.muted && s.silent_since >= 0 && now - s.silent_since >= kSilentSamples);
    flag(Problem::kClipping, a.clipped_uploads >= kClippedUploads);
    flag(Problem::kReconnects, a.reconnects >= kReconnectEvents);
    flag(Problem::kCodecResets, a.codec_resets >= kCodecResetEvents);
    if (s.write_offset && !v.spectator) {
      offsets[i] = s.write_offset;
      a.write_offset_ms = ms(*s.write_offset);
      buckets[i] = bucket_index(v.delay_samples, snapshot.first_bucket);
      by_bucket[static_cast<std::size_t>(buckets[i])].push_back(*s.write_offset);
    }
  }
  // Mis-calibration: far from the median write offset of the singer's bucket.
  std::array<std::optional<Clock>, kBuckets> medians;
  for (std::size_t b = 0; b < by_bucket.size(); ++b) {
    auto& v = by_bucket[b];
    if (v.size() < kMinPeersForMedian) continue;
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    medians[b] = *mid;
  }
  // Late against the room: when every request is late (an overloaded server or network), that
  // is the room's problem, not one singer's; a singer stands out at kLateOverRoom × the median.
  std::vector<float> late(out.size());
  std::transform(out.begin(), out.end(), late.begin(),
                 [](const SingerAssessment& a) { return a.late_events; });
  float room_late = 0;
  if (!late.empty()) {
    auto mid = late.begin() + static_cast<std::ptrdiff_t>(late.size() / 2);
    std::nth_element(late.begin(), mid, late.end());
    room_late = *mid;
  }
  ProblemCounts counts{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    SingerAssessment& a = out[i];
    if (a.late_events >= kLateEvents && a.late_events >= kLateOverRoom * room_late) {
      a.problems |= static_cast<std::uint8_t>(1u << static_cast<int>(Problem::kLate));
    } else {
      a.late_ms = 0;
    }
    const auto& median = medians[static_cast<std::size_t>(buckets[i])];
    if (offsets[i] && median) {
      const Clock off = *offsets[i] - *median;
      a.offset_from_peers_ms = ms(off);
      if (std::abs(off) >= kMiscalibratedSamples) {
        a.problems |= static_cast<std::uint8_t>(1u << static_cast<int>(Problem::kMiscalibrated));
      }
    }
    for (std::size_t k = 0; k < kProblemKinds; ++k) counts[k] += a.problems >> k & 1;
  }
  return counts;
}

}  // namespace brigade::server
