// brigade: what the operators' debug chart costs per request, against the whole-ring scan the
// original server ran on every POST (the reason its chart was removed).
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "debug_delta.hpp"
#include "debug_state.hpp"
#include "singer_health.hpp"

namespace brigade {
namespace {

constexpr Clock kStart = Clock{1'700'000'000} * kSampleRate;
constexpr Clock kBlock = 10 * kOpusFrameSamples;  // 600 ms, what the browser sends
constexpr Clock kSpacing = kSampleRate / 2;       // singer i writes 0.5 s before singer i-1
constexpr Clock kGapEvery = kSampleRate / 10;     // 10 ms of silence every 100 ms...
constexpr Clock kGap = kSampleRate / 100;         // ...so the bitmap has many short runs

/// 600 ms of a 220 Hz tone broken by short silences: what a phrase with breaths looks like.
std::vector<float> phrase() {
  std::vector<float> v(kBlock);
  for (Clock i = 0; i < kBlock; ++i) {
    const bool gap = i % kGapEvery < kGap;
    const double t = static_cast<double>(i) / kSampleRate;
    v[i] = gap ? 0.0f : static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 220.0 * t));
  }
  return v;
}

/// A room with a leader and `singers` more active singers (none at all for 0), each of whom
/// uploaded one phrase at its own delay, so the last ~100 s of the ring are occupied in ~1000 runs.
/// The room is built once per size and kept for the process's life.
struct Fixture {
  explicit Fixture(int singers) {
    if (singers == 0) return;  // an empty room: nobody has ever exchanged
    const auto block = phrase();
    std::vector<float> audio(kBlock), backing(kBlock);
    std::vector<WriterCount> writers(kBlock);
    ExchangeResult result;
    auto exchange = [&](ExchangeRequest& req) {
      req.n_samples = kBlock;
      if (!room.exchange(req, block, {audio, backing, writers}, result).ok()) std::abort();
    };
    ExchangeRequest lead;
    lead.user_id = 1;
    lead.name = "lead";
    lead.read_clock = kStart - kRingSamples + 2 * kBlock;
    lead.controls.request_lead = true;
    lead.controls.mark_start_singing = true;
    exchange(lead);
    for (int i = 0; i < singers; ++i) {
      ExchangeRequest req;
      req.user_id = 1000 + static_cast<UserId>(i);
      req.name = "singer " + std::to_string(i);
      req.read_clock = kStart - kSampleRate * (3 + 3 * (i % 6));
      req.write_clock = kStart - kSampleRate - kSpacing * (i % 200);
      exchange(req);
      // The problem detectors hear each singer's upload, as the exchange path's hook does.
      server::UploadObservation o;
      o.user = req.user_id;
      o.arrival = kStart;
      o.read_clock = req.read_clock;
      o.write_clock = req.write_clock;
      o.n_samples = kBlock;
      o.upload = block;
      o.reset_user_state = true;
      health.record(o);
    }
  }

  ManualSampleClock clock{kStart};
  Room room{clock, RoomConfig{.max_users = 2000, .seed = 1}};
  server::SingerHealth health{2000};
};

Fixture& fixture(int singers) {
  // Never destroyed: the rooms are 80 MB each and live as long as the benchmark process.
  static std::map<int, Fixture*> by_size;
  Fixture*& f = by_size[singers];
  if (!f) f = new Fixture(singers);
  return *f;
}

/// Room::snapshot: what runs under the room lock per GET /api/debug/state.
void BM_RoomSnapshot(benchmark::State& state) {
  Fixture& f = fixture(static_cast<int>(state.range(0)));
  RoomSnapshot snap;
  for (auto _ : state) {
    f.room.snapshot(snap);
    benchmark::DoNotOptimize(snap);
  }
  state.counters["singers"] = static_cast<double>(snap.singers.size());
  state.counters["occupied_frames"] = static_cast<double>(snap.occupancy.count());
}
BENCHMARK(BM_RoomSnapshot)->Arg(0)->Arg(200)->Arg(1000);

/// debug_state_json: runs, base64 and JSON, outside the lock.
void BM_DebugStateJson(benchmark::State& state) {
  Fixture& f = fixture(static_cast<int>(state.range(0)));
  RoomSnapshot snap;
  f.room.snapshot(snap);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto json = server::debug_state_json(snap, 330.0);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.counters["runs"] = static_cast<double>(snap.occupancy.runs().size());
}
BENCHMARK(BM_DebugStateJson)->Arg(0)->Arg(200)->Arg(1000);

/// The whole request's work: snapshot, then serialize.
void BM_SnapshotAndJson(benchmark::State& state) {
  Fixture& f = fixture(static_cast<int>(state.range(0)));
  RoomSnapshot snap;
  for (auto _ : state) {
    f.room.snapshot(snap);
    auto json = server::debug_state_json(snap, 330.0);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_SnapshotAndJson)->Arg(200);

/// SingerHealth::assess: the problem detectors over every active singer.
void BM_AssessProblems(benchmark::State& state) {
  Fixture& f = fixture(static_cast<int>(state.range(0)));
  RoomSnapshot snap;
  f.room.snapshot(snap);
  std::vector<server::SingerAssessment> health;
  for (auto _ : state) {
    auto counts = f.health.assess(snap, health);
    benchmark::DoNotOptimize(counts);
  }
}
BENCHMARK(BM_AssessProblems)->Arg(1000);

/// SingerHealth::record: the exchange path's hook (levels of a 600 ms upload, one slot update).
void BM_RecordUpload(benchmark::State& state) {
  Fixture& f = fixture(1000);
  const auto block = phrase();
  server::UploadObservation o;
  o.user = 1000;
  o.arrival = kStart;
  o.read_clock = kStart - 3 * kSampleRate;
  o.write_clock = o.read_clock - kSampleRate / 5;
  o.n_samples = kBlock;
  o.upload = block;
  for (auto _ : state) {
    o.arrival += kBlock;
    o.read_clock += kBlock;
    *o.write_clock += kBlock;
    f.health.record(o);
  }
}
BENCHMARK(BM_RecordUpload);

/// One GET /api/debug/state?compact=1 (or the full form, arg 0) at N singers, as the router
/// builds it: snapshot under the lock, problems, serialization. Operators polling together
/// share one build per 100 ms.
void BM_DebugRequest(benchmark::State& state) {
  Fixture& f = fixture(static_cast<int>(state.range(0)));
  const auto format = state.range(1) ? server::DebugFormat::kCompact : server::DebugFormat::kFull;
  RoomSnapshot snap;
  std::vector<server::SingerAssessment> health;
  std::size_t bytes = 0;
  for (auto _ : state) {
    f.room.snapshot(snap);
    const auto counts = f.health.assess(snap, health);
    auto json = server::debug_state_json(snap, 330.0, health, counts, format);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.counters["singers"] = static_cast<double>(snap.singers.size());
}
BENCHMARK(BM_DebugRequest)->Args({1000, 0})->Args({1000, 1})->Unit(benchmark::kMicrosecond);

/// The delta of one link of the debug stream's chain (?delta=1) at N singers, 100 ms after the
/// previous link: a sixth of the singers uploaded since (each sends every 600 ms) and a bitmap
/// word changed. A link also costs the whole compact state (BM_DebugRequest/N/1); the room
/// builds one link per 100 ms for all its viewers.
void BM_DebugDelta(benchmark::State& state) {
  Fixture& f = fixture(static_cast<int>(state.range(0)));
  RoomSnapshot snap;
  std::vector<server::SingerAssessment> health;
  f.room.snapshot(snap);
  const auto counts = f.health.assess(snap, health);
  server::DebugDeltaEncoder encoder;
  encoder.delta(snap, 330.0, health, counts);
  constexpr Clock kUpload = kSampleRate * 6 / 10;
  std::size_t bytes = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    snap.server_clock += kSampleRate / 10;
    for (std::size_t k = i % 6; k < snap.singers.size(); k += 6) {
      auto& g = snap.singers[k];
      g.read_window = {g.read_window.begin + kUpload, g.read_window.end + kUpload};
      if (g.write_window) {
        g.write_window = Interval{g.write_window->begin + kUpload, g.write_window->end + kUpload};
      }
    }
    snap.occupancy.words[i % kOccupancyWords] ^= 1;
    ++i;
    auto json = encoder.delta(snap, 330.0, health, counts);
    bytes += json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["bytes_per_message"] = static_cast<double>(bytes) / static_cast<double>(i);
}
BENCHMARK(BM_DebugDelta)->Arg(1000)->Unit(benchmark::kMicrosecond);

/// The original's approach: test every frame of the 120 s ring (here in C++ with Eigen, not in
/// a Python loop). Arg: percent of the ring occupied (silent frames cost a full 128-sample test).
void BM_OccupancyBruteForce(benchmark::State& state) {
  auto ring = std::make_unique<Ring<float>>();
  const Clock loud = kRingSamples * state.range(0) / 100;
  if (loud > 0) {
    std::vector<float> block(static_cast<std::size_t>(loud), 0.25f);
    ring->add({0, loud}, block);
  }
  for (auto _ : state) {
    auto words = Occupancy::brute_force(*ring);
    benchmark::DoNotOptimize(words);
  }
}
BENCHMARK(BM_OccupancyBruteForce)->Arg(0)->Arg(50)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace brigade
