// brigade-loadtest --verify timing (see timing.hpp).
#include "timing.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <numbers>
#include <set>

#include <boost/json/array.hpp>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/engine/room.hpp"
#include "brigade/engine/volume.hpp"
#include "profile.hpp"  // kCodecDelay
#include "song_state.hpp"

namespace brigade::loadtest {
namespace {

/// Enough decoded history for an echo written 2 codec delays back and the search windows.
constexpr int kHistoryExchanges = 4;
/// Marker rounds: at least this many markers per singer in all (more rounds with few singers).
constexpr int kMinMarkersPerRun = 12;

double ms(double samples) {
  return samples * 1000.0 / kSampleRate;
}

/// Auto-gain of the reply formula for `writers` singers mixed at a clock.
double auto_gain(int writers) {
  return std::sqrt(3.0 / (writers + 2.0));
}

}  // namespace

TimingPlan::TimingPlan(int n) : singers(n) {
  const int followers = std::max(0, n - 1);
  slots = std::max(1, (followers + kMarkerFrequencies - 1) / kMarkerFrequencies);
  rounds = std::max(2, (kMinMarkersPerRun + slots - 1) / slots);
}

double TimingPlan::frequency(int j) const {
  if (j == 0) return kClickHz;
  return kMarkerHz[static_cast<std::size_t>((j - 1) % kMarkerFrequencies)];
}

std::vector<int> TimingPlan::beats(int j) const {
  std::vector<int> out;
  if (j == 0) {
    for (int b = kFirstMarkerBeat; b < end_beat(); ++b) out.push_back(b);
    return out;
  }
  const int slot = (j - 1) / kMarkerFrequencies;
  for (int r = 0; r < rounds; ++r) out.push_back(kFirstMarkerBeat + slot + r * slots);
  return out;
}

void TimingPlan::singers_on(int b, std::vector<int>& out) const {
  if (b < kFirstMarkerBeat || b >= end_beat()) return;
  out.push_back(0);
  const int slot = (b - kFirstMarkerBeat) % slots;
  for (int q = 0; q < kMarkerFrequencies; ++q) {
    const int j = 1 + slot * kMarkerFrequencies + q;
    if (j < singers) out.push_back(j);
  }
}

TimingRun::TimingRun(int singers, const SongState& song, Clock error, double level_error_db)
    : plan_(singers), song_(song), error_(error), bucket_of_(static_cast<std::size_t>(singers), 0) {
  const double amplitude = kMarkerAmplitude * std::pow(10.0, level_error_db / 20.0);
  for (int j = 0; j < std::min(singers, kMarkerFrequencies + 1); ++j) {
    const double hz = plan_.frequency(j);
    if (bursts_.count(hz)) continue;
    std::vector<float> b(static_cast<std::size_t>(kMarkerSamples));
    for (Clock i = 0; i < kMarkerSamples; ++i) {
      const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                            static_cast<double>(kMarkerSamples));
      const double t = static_cast<double>(i - kMarkerSamples / 2);
      b[static_cast<std::size_t>(i)] = static_cast<float>(
          amplitude * w * std::cos(2.0 * std::numbers::pi * hz * t / kSampleRate));
    }
    bursts_.emplace(hz, std::move(b));
  }
}

void TimingRun::set_bucket(int singer, int bucket) {
  auto& slot = bucket_of_[static_cast<std::size_t>(singer)];
  if (slot == bucket) return;
  if (slot != 0 && --bucket_sizes_[slot] == 0) bucket_sizes_.erase(slot);
  slot = bucket;
  ++bucket_sizes_[bucket];
}

float TimingRun::echo_gain(int bucket) const {
  const auto it = bucket_sizes_.find(bucket);
  return it == bucket_sizes_.end() ? 0.0f : 1.0f / static_cast<float>(it->second);
}

const std::vector<float>& TimingRun::burst(double hz) const {
  return bursts_.at(hz);
}

EchoVoice::EchoVoice(const TimingRun& run, int singer, Clock n_samples)
    : run_(run),
      singer_(singer),
      history_(static_cast<std::size_t>(kHistoryExchanges * n_samples)) {}

void EchoVoice::reset() {
  begin_ = end_ = 0;
}

float EchoVoice::at(Clock label) const {
  if (label < begin_ || label >= end_) return 0.0f;
  return history_[static_cast<std::size_t>(label % static_cast<Clock>(history_.size()))];
}

void EchoVoice::heard(Clock begin, std::span<const float> pcm) {
  // Positions are ring clocks, so a reconnect in the same bucket (a re-anchor, a failure)
  // continues the history: what was heard before stays, to be echoed when the singer's writes
  // reach it (they trail its reads by the write lag). Only another bucket's clocks start over.
  const auto size = static_cast<Clock>(history_.size());
  if (begin_ == end_ || begin < begin_ || begin > end_ + size) begin_ = end_ = begin;
  while (end_ < begin) history_[static_cast<std::size_t>(end_++ % size)] = 0.0f;  // not heard
  // A restart earlier than end_ hears those clocks again, through a fresh decoder (its warm-up
  // first): the first hearing is kept.
  const auto known = static_cast<std::size_t>(end_ - begin);
  for (std::size_t i = known; i < pcm.size(); ++i) {
    history_[static_cast<std::size_t>(end_++ % size)] = pcm[i];
  }
  begin_ = std::max(begin_, end_ - size);
  detect_ready();
}

void EchoVoice::sing(Clock begin, float echo_gain, std::span<float> out, Clock fresh_from) const {
  // What was heard at decoded position x is sung into upload position x - 2·delay (the page's
  // rule), so the server's decoder puts it on the ring clock it was heard at.
  const auto n = static_cast<Clock>(out.size());
  for (Clock i = 0; i < n; ++i)
    out[static_cast<std::size_t>(i)] = echo_gain * at(begin + i + 2 * kCodecDelay - run_.error());
  // Already uploaded (and in the ring): silence adds nothing there.
  const Clock stale = std::clamp<Clock>(fresh_from - begin, 0, n);
  std::fill(out.begin(), out.begin() + stale, 0.0f);
  const Clock s = run_.song().start_clock;
  if (s <= 1) return;
  const auto& burst = run_.burst(run_.plan().frequency(singer_));
  for (int b : run_.plan().beats(singer_)) {
    // The burst's centre must reach the ring at s + beat: upload it one codec delay earlier.
    const Clock first = s + b * kBeatSamples - kCodecDelay - kMarkerSamples / 2 + run_.error();
    for (Clock i = std::max({first, begin, fresh_from});
         i < std::min(first + kMarkerSamples, begin + n); ++i)
      out[static_cast<std::size_t>(i - begin)] += burst[static_cast<std::size_t>(i - first)];
  }
}

void EchoVoice::detect_ready() {
  const Clock s = run_.song().start_clock;
  if (s <= 1) return;
  const Clock half = kSearchSamples + kMarkerSamples / 2;
  while (next_beat_ < run_.plan().end_beat()) {
    const Clock centre = s + next_beat_ * kBeatSamples + kCodecDelay;
    if (centre + half > end_) return;  // not heard yet
    if (centre - half >= begin_) {     // else missed (a reconnect): the analysis counts it
      scratch_.clear();
      run_.plan().singers_on(next_beat_, scratch_);
      for (int j : scratch_) measure(j, next_beat_, centre);
    }
    ++next_beat_;
  }
}

void EchoVoice::measure(int singer, int beat, Clock centre) {
  // A Hann-weighted matched filter at the marker's frequency, slid over the search window in
  // O(1) per position: the Hann window 1/2 - 1/2·cos(θn) (θ = 2π/L) splits it into three box
  // sums of the signal demodulated at ω and ω ± θ. |filter| peaks where the burst is centred;
  // 16·|filter| / (3L) is its amplitude.
  constexpr Clock L = kMarkerSamples;
  constexpr Clock kPositions = 2 * kSearchSamples + 1;
  const double w = 2.0 * std::numbers::pi * run_.plan().frequency(singer) / kSampleRate;
  const double theta = 2.0 * std::numbers::pi / static_cast<double>(L);
  const Clock lo = centre - kSearchSamples - L / 2;  // first sample of the first box
  const std::array<double, 3> nu = {w, w - theta, w + theta};
  // e^{-iν(p - lo)} advanced by one rotation per sample instead of a sin and cos each: the
  // tester measures every earlier singer's marker for every listener, so this is its hot loop.
  std::array<std::complex<double>, 3> box{}, rotor{}, head{}, tail{};
  for (std::size_t k = 0; k < 3; ++k) {
    rotor[k] = std::polar(1.0, -nu[k]);
    std::complex<double> phasor = 1.0;
    for (Clock p = lo; p < lo + L; ++p, phasor *= rotor[k])
      box[k] += static_cast<double>(at(p)) * phasor;
    head[k] = phasor;  // at lo + L
    tail[k] = 1.0;     // at lo
  }
  std::array<double, kPositions> mags{};
  const auto turn = std::polar(1.0, -theta);
  std::complex<double> back = 1.0;  // e^{-iθq}
  for (Clock q = 0; q < kPositions; ++q, back *= turn) {
    // Box sums are referenced to lo; re-reference the two side ones to the box start lo + q.
    const auto hann = 0.5 * box[0] - 0.25 * back * box[1] - 0.25 * std::conj(back) * box[2];
    mags[static_cast<std::size_t>(q)] = std::abs(hann);
    const auto in = static_cast<double>(at(lo + q + L));
    const auto out = static_cast<double>(at(lo + q));
    for (std::size_t k = 0; k < 3; ++k) {
      box[k] += in * head[k] - out * tail[k];
      head[k] *= rotor[k];
      tail[k] *= rotor[k];
    }
  }
  const auto best = static_cast<Clock>(std::max_element(mags.begin(), mags.end()) - mags.begin());
  double frac = 0.0;
  if (best > 0 && best < kPositions - 1) {
    const double a = mags[static_cast<std::size_t>(best - 1)];
    const double b = mags[static_cast<std::size_t>(best)];
    const double c = mags[static_cast<std::size_t>(best + 1)];
    const double den = a - 2.0 * b + c;
    if (den < 0.0) frac = 0.5 * (a - c) / den;
  }
  const double amplitude = 16.0 * mags[static_cast<std::size_t>(best)] / (3.0 * L);
  detections_.push_back({singer, beat, static_cast<float>(amplitude),
                         static_cast<float>(static_cast<double>(best - kSearchSamples) + frac)});
}

namespace {

/// The volume formula applied to a chain: singer j's marker as a listener in `bucket` hears it,
/// with every bucket in between echoing what it heard (its chorus at 1/k each: ×1 in all).
struct LevelModel {
  std::map<int, int> sizes;  ///< bucket → singers
  int writers_before(int bucket) const {
    int w = 0;
    for (const auto& [b, n] : sizes)
      if (b < bucket) w += n;
    return w;
  }
  double expected(int j, int from, int to) const {
    const double g_vol = kDefaultGlobalVolume;
    double ring = kMarkerAmplitude * (j == 0 ? leader_boost() : 1.0f);
    for (const auto& [b, n] : sizes) {
      if (b <= from || b >= to) continue;
      ring += ring * auto_gain(writers_before(b)) * g_vol;  // the bucket's echoes, in phase
    }
    return ring * auto_gain(writers_before(to)) * g_vol;
  }
};

struct BucketRow {
  int listeners = 0;
  long expected = 0, found = 0, late = 0, level_bad = 0, stray = 0;
  double sum_offset = 0, max_offset = 0, sum_db = 0, max_db = 0;
};

/// Every level at which a marker was heard, by listening bucket: when a marker is off the
/// volume formula in one bucket, its levels in the buckets before show where along the chain
/// it went off.
struct MarkerLevels {
  using Key = std::pair<int, int>;                          ///< singer, beat
  std::map<Key, std::map<int, std::vector<double>>> heard;  ///< → bucket → dB per listener
  std::set<Key> off;

  std::string chain(const Key& k) const {
    std::string out = "singer " + std::to_string(k.first) + "'s marker on beat " +
                      std::to_string(k.second) + " along the chain (dB):";
    for (const auto& [bucket, dbs] : heard.at(k)) {
      out += " " + std::to_string(bucket) + " s:";
      for (double db : dbs) {
        char v[16];
        std::snprintf(v, sizeof v, " %+.1f", db);
        out += v;
      }
      out += ";";
    }
    return out;
  }
};

}  // namespace

TimingResult analyse_timing(const TimingPlan& plan, const std::vector<TimingListener>& listeners) {
  TimingResult out;
  LevelModel model;
  for (const auto& l : listeners) ++model.sizes[l.bucket];
  std::map<int, BucketRow> rows;
  auto problem = [&](std::string text) {
    if (out.problems.size() < 4000) out.problems.push_back(std::move(text));
  };
  if (model.sizes.count(0)) problem("some singers never got a bucket");
  long total_problems = 0;
  MarkerLevels levels;
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const int bi = listeners[i].bucket;
    BucketRow& row = rows[bi];
    ++row.listeners;
    std::set<std::pair<int, int>> seen;
    for (int j = 0; j < plan.singers; ++j)
      if (listeners[static_cast<std::size_t>(j)].bucket < bi)
        row.expected += static_cast<long>(plan.beats(j).size());
    for (const Detection& d : *listeners[i].detections) {
      const int bj = listeners[static_cast<std::size_t>(d.singer)].bucket;
      const double off = ms(d.offset);
      if (bj >= bi) {
        // What it would be if this listener heard it directly.
        const double direct = model.expected(d.singer, bj, bi);
        if (d.amplitude >= kStrayFraction * direct) {
          ++row.stray;
          ++total_problems;
          problem("singer " + std::to_string(i) + " (bucket " + std::to_string(bi) +
                  " s) hears singer " + std::to_string(d.singer) + " (bucket " +
                  std::to_string(bj) + " s) on beat " + std::to_string(d.beat));
        }
        continue;
      }
      if (!seen.insert({d.singer, d.beat}).second) continue;
      const double e = model.expected(d.singer, bj, bi);
      if (d.amplitude < kFoundFraction * e || std::abs(d.offset) >= kSearchSamples) continue;
      ++row.found;
      const double db = 20.0 * std::log10(std::max(1e-9, static_cast<double>(d.amplitude) / e));
      row.sum_offset += off;
      row.max_offset = std::max(row.max_offset, std::abs(off));
      row.sum_db += db;
      row.max_db = std::max(row.max_db, std::abs(db));
      levels.heard[{d.singer, d.beat}][bi].push_back(db);
      if (std::abs(off) > kTimingToleranceMs) {
        ++row.late;
        ++total_problems;
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "singer %zu (bucket %d s): singer %d's marker on beat %d is %+.3f ms off", i,
                      bi, d.singer, d.beat, off);
        problem(buf);
      }
      if (std::abs(db) > kMarkerLevelToleranceDb) {
        ++row.level_bad;
        ++total_problems;
        levels.off.insert({d.singer, d.beat});
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "singer %zu (bucket %d s): singer %d's marker on beat %d at %+.1f dB of the "
                      "volume formula",
                      i, bi, d.singer, d.beat, db);
        problem(buf);
      }
    }
  }
  constexpr std::size_t kChainsShown = 8;
  std::size_t shown = 0;
  for (auto k = levels.off.begin(); k != levels.off.end() && shown < kChainsShown; ++k, ++shown)
    problem(levels.chain(*k));
  std::string& t = out.table;
  char line[256];
  t += "timing: markers on the beat grid, per listening bucket (offset = heard centre - song beat "
       "- codec delay)\n";
  std::snprintf(line, sizeof line, "%7s %9s %9s %9s %11s %11s %10s %10s %6s\n", "bucket",
                "listeners", "expected", "found", "mean ms", "max |ms|", "mean dB", "max |dB|",
                "stray");
  t += line;
  boost::json::array jrows;
  long expected = 0, found = 0;
  for (const auto& [b, r] : rows) {
    const auto n = static_cast<double>(std::max<long>(1, r.found));
    std::snprintf(line, sizeof line, "%5d s %9d %9ld %9ld %+11.3f %11.3f %+10.2f %10.2f %6ld\n", b,
                  r.listeners, r.expected, r.found, r.sum_offset / n, r.max_offset, r.sum_db / n,
                  r.max_db, r.stray);
    t += line;
    expected += r.expected;
    found += r.found;
    if (r.found < r.expected) {
      ++total_problems;
      problem("bucket " + std::to_string(b) + " s: " + std::to_string(r.expected - r.found) +
              " markers missing");
    }
    const bool mean_level_off = r.found > 0 && std::abs(r.sum_db / n) > kMeanLevelToleranceDb;
    if (mean_level_off) {
      ++total_problems;
      std::snprintf(line, sizeof line,
                    "bucket %d s: its markers are at a mean of %+.2f dB of the volume formula", b,
                    r.sum_db / n);
      problem(line);
    }
    boost::json::object o;
    o["bucket"] = b;
    o["listeners"] = r.listeners;
    o["expected"] = r.expected;
    o["found"] = r.found;
    o["mean_offset_ms"] = r.sum_offset / n;
    o["max_abs_offset_ms"] = r.max_offset;
    o["mean_level_db"] = r.sum_db / n;
    o["max_abs_level_db"] = r.max_db;
    o["off_time"] = r.late;
    o["off_level"] = r.level_bad;
    o["mean_level_off"] = mean_level_off;
    o["stray"] = r.stray;
    jrows.push_back(std::move(o));
  }
  if (rows.size() < 2) {
    ++total_problems;
    problem("fewer than two buckets: nothing to check");
  }
  out.ok = total_problems == 0;
  out.json["buckets"] = std::move(jrows);
  out.json["codec_delay_samples"] = kCodecDelay;
  out.json["tolerance_ms"] = kTimingToleranceMs;
  out.json["marker_level_tolerance_db"] = kMarkerLevelToleranceDb;
  out.json["mean_level_tolerance_db"] = kMeanLevelToleranceDb;
  out.json["markers_expected"] = expected;
  out.json["markers_found"] = found;
  out.json["problem_count"] = total_problems;
  boost::json::array problems;
  for (const auto& p : out.problems) problems.push_back(boost::json::string(p));
  out.json["problems"] = std::move(problems);
  out.json["passed"] = out.ok;
  return out;
}

}  // namespace brigade::loadtest
