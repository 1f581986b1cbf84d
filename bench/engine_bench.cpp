// brigade: engine benchmarks. One request's ring work is 600 ms (28,800 samples) of clearing,
// mixing and reading; the occupancy bitmap is snapshotted for the debug chart.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "brigade/engine/occupancy.hpp"
#include "brigade/engine/ring_set.hpp"

namespace brigade {
namespace {

constexpr Clock kBlock = 28'800;                      // 600 ms
constexpr Clock kStart = 80'000'000'000'000 + 1'000;  // a realistic clock, not frame-aligned

// One RingSet (~80 MB) shared by every benchmark: allocating it per benchmark would dominate.
RingSet& rings() {
  static const auto instance = std::make_unique<RingSet>();
  return *instance;
}

std::vector<float> noise(Clock n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.1f);
  std::vector<float> out(static_cast<std::size_t>(n));
  for (auto& x : out) x = dist(rng);
  return out;
}

// Twenty seconds of singing in the ring, with a gap every 3 s: a realistic bitmap.
void fill_song() {
  static bool done = false;
  if (done) return;
  done = true;
  RingSet& r = rings();
  const auto block = noise(kBlock, 1);
  for (Clock c = kStart; c < kStart + 20 * kSampleRate; c += kBlock) {
    if ((c - kStart) % (3 * kSampleRate) < kBlock) continue;
    r.mix(Interval{c, c + kBlock}, block, 1.0f, false);
  }
}

void BM_ClearTo600ms(benchmark::State& state) {
  RingSet& r = rings();
  // The library calls this more than once: continue from wherever the cursor is.
  Clock now = std::max(kStart + 200 * kSampleRate, r.cleared_to().value_or(0));
  r.clear_to(now);
  for (auto _ : state) {
    now += kBlock;
    benchmark::DoNotOptimize(r.clear_to(now));
  }
  state.SetItemsProcessed(state.iterations() * kBlock);
}
BENCHMARK(BM_ClearTo600ms);

// Ring::add is Eigen over the (at most two) contiguous pieces.
void BM_MixEigen600ms(benchmark::State& state) {
  Ring<float>& ring = rings().backing();
  const auto block = noise(kBlock, 2);
  const Interval iv{kStart, kStart + kBlock};
  const float gain = static_cast<float>(state.range(0)) / 10.0f;
  for (auto _ : state) {
    ring.add(iv, block, gain);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBlock);
}
BENCHMARK(BM_MixEigen600ms)->ArgName("gain_x10")->Arg(10)->Arg(8);

// The same mix as a plain loop over the same pieces (the compiler may still vectorize it).
void plain_add(std::span<float> dst, std::span<const float> src, float gain) {
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i] += gain * src[i];
}
// And with the vectorizer off, for a true scalar baseline.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
void scalar_add(std::span<float> dst, std::span<const float> src, float gain) {
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i] += gain * src[i];
}

template <void (*Add)(std::span<float>, std::span<const float>, float)>
void BM_MixLoop600ms(benchmark::State& state) {
  Ring<float>& ring = rings().backing();
  const auto block = noise(kBlock, 2);
  const Interval iv{kStart, kStart + kBlock};
  const float gain = static_cast<float>(state.range(0)) / 10.0f;
  for (auto _ : state) {
    auto s = ring.segments(iv);
    Add(s.first, std::span<const float>(block).first(s.first.size()), gain);
    Add(s.second, std::span<const float>(block).subspan(s.first.size()), gain);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBlock);
}
BENCHMARK(BM_MixLoop600ms<plain_add>)->Name("BM_MixPlainLoop600ms")->ArgName("gain_x10")->Arg(8);
BENCHMARK(BM_MixLoop600ms<scalar_add>)->Name("BM_MixScalarNoVec600ms")->ArgName("gain_x10")->Arg(8);

// What a request's mix really costs: audio add, writer count, occupancy re-derivation.
void BM_RingSetMix600ms(benchmark::State& state) {
  RingSet& r = rings();
  const auto block = noise(kBlock, 3);
  const Interval iv{kStart + 40 * kSampleRate, kStart + 40 * kSampleRate + kBlock};
  for (auto _ : state) {
    r.mix(iv, block, 0.8f, false);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBlock);
}
BENCHMARK(BM_RingSetMix600ms);

void BM_Read600ms(benchmark::State& state) {
  fill_song();
  RingSet& r = rings();
  std::vector<float> out(kBlock);
  // range(0) = 1: the block straddles the ring's end.
  const Clock begin =
      state.range(0) ? (kStart / kRingSamples + 1) * kRingSamples - kBlock / 2 : kStart;
  const Interval iv{begin, begin + kBlock};
  for (auto _ : state) {
    r.read_audio(iv, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBlock);
}
BENCHMARK(BM_Read600ms)->ArgName("wrapped")->Arg(0)->Arg(1);

void BM_OccupancySnapshot(benchmark::State& state) {
  fill_song();
  OccupancySnapshot snap;
  for (auto _ : state) {
    rings().snapshot(snap);
    benchmark::DoNotOptimize(snap.words.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_OccupancySnapshot);

void BM_OccupancySnapshotRuns(benchmark::State& state) {
  fill_song();
  OccupancySnapshot snap;
  rings().snapshot(snap);
  std::size_t n = 0;
  for (auto _ : state) {
    const auto runs = snap.runs();
    n = runs.size();
    benchmark::DoNotOptimize(runs.data());
  }
  state.counters["runs"] = static_cast<double>(n);
}
BENCHMARK(BM_OccupancySnapshotRuns);

// The definition applied to the whole ring: what the original server did on every request.
void BM_OccupancyBruteForce(benchmark::State& state) {
  fill_song();
  for (auto _ : state) {
    auto words = Occupancy::brute_force(rings().audio());
    benchmark::DoNotOptimize(words.data());
  }
  state.SetItemsProcessed(state.iterations() * kRingSamples);
}
BENCHMARK(BM_OccupancyBruteForce);

}  // namespace
}  // namespace brigade
