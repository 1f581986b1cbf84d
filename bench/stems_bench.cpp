// brigade: the cost of per-singer stems, per 600 ms upload (what the browser sends): the copy
// into the stem queue on the exchange path, and the recorder thread's placing and writing.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <vector>

#include "client/tone.hpp"
#include "stem_queue.hpp"
#include "stem_recorder.hpp"

namespace brigade::server {
namespace {

constexpr Clock kUpload = 10 * kOpusFrameSamples;  // 600 ms
/// Drains as the recorder does, often enough that the queue never fills.
constexpr int kDrainEvery = 500;

struct Upload {
  std::vector<client::Packet> packets;
  std::vector<std::span<const std::uint8_t>> spans;
  Upload() : packets(client::OpusPipe{}.encode(client::sine(440.0, 0.2f, kUpload))) {
    spans.assign(packets.begin(), packets.end());
  }
};

void BM_QueuePush(benchmark::State& state) {
  const Upload u;
  StemQueue queue;
  Clock begin = 0;
  int n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(queue.push(
        {.song = 1, .song_start = 0, .user = 7, .begin = begin, .name = "Ada"}, u.spans));
    begin += kUpload;
    if (++n % kDrainEvery == 0) {
      state.PauseTiming();
      queue.drain([](const StemUpload&, PacketSpans) {});
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_QueuePush);

void BM_RecorderWrite(benchmark::State& state) {
  const Upload u;
  const auto dir = std::filesystem::temp_directory_path() / "brigade-bench-stems";
  std::filesystem::remove_all(dir);
  StemCounters counters;
  StemRecorder recorder(Clock{1} << 40, counters);
  recorder.begin_song(dir);
  Clock begin = 0;
  for (auto _ : state) {
    recorder.add({.song = 1, .song_start = 0, .user = 7, .begin = begin, .name = "Ada"}, u.spans);
    begin += kUpload;
  }
  recorder.finish_song();
  state.counters["stem_bytes_per_upload"] =
      static_cast<double>(std::filesystem::file_size(dir / "Ada-7.opus")) /
      static_cast<double>(state.iterations());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecorderWrite);

}  // namespace
}  // namespace brigade::server
