// brigade: cost of one audio exchange in process, and of its parts. A 600 ms exchange is what
// every singer sends 1.67 times a second, so 1 / (its CPU time × 1.67) is the singers per core
// before HTTP.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/codec/packet_container.hpp"
#include "brigade/engine/room.hpp"
#include "exchange_service.hpp"

namespace brigade {
namespace {

constexpr Clock kBatch = 10 * kOpusFrameSamples;  // 600 ms
constexpr Clock kStart = Clock{1'800'000'000} * kSampleRate;

/// A voice-like test signal: a 220 Hz fundamental with decaying harmonics, 5 Hz vibrato and a
/// little noise (silence would flatter the codec).
std::vector<float> voice(std::size_t n) {
  std::vector<float> out(n);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  double phase = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kSampleRate;
    const double f0 = 220.0 * (1.0 + 0.02 * std::sin(2 * std::numbers::pi * 5.0 * t));
    phase += 2 * std::numbers::pi * f0 / kSampleRate;
    double s = 0.0;
    for (int h = 1; h <= 8; ++h) s += std::sin(h * phase) / h;
    out[i] = static_cast<float>(0.2 * s) + noise(rng);
  }
  return out;
}

/// The container body of `pcm` encoded in 60 ms packets.
/// `bitrate` 0: libopus's default (what the server's own encoder uses).
std::string encode_body(std::span<const float> pcm, int bitrate = 0) {
  codec::Encoder encoder;
  if (bitrate > 0) encoder.set_bitrate(bitrate);
  std::string body;
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
  const std::size_t frames = pcm.size() / kOpusFrameSamples;
  begin_container(body, frames);
  for (std::size_t i = 0; i < frames; ++i) {
    const int n = encoder.encode(pcm.subspan(i * kOpusFrameSamples, kOpusFrameSamples), packet);
    append_packet(body, std::span(packet).first(static_cast<std::size_t>(n)));
  }
  return body;
}

server::ExchangeConfig unlimited() {
  server::ExchangeConfig c;
  c.singer_requests_per_second = 0;
  return c;
}

/// A room with a song in progress, led by user 1, and a query for user 2 at `read`.
struct Fixture {
  ManualSampleClock clock{kStart};
  Room room{clock, RoomConfig{.max_users = 1000, .seed = 1}};
  // One id sends many exchanges per second of benchmark time: no per-singer rate limit.
  server::ExchangeService service{room, unlimited(), nullptr, nullptr};

  Fixture() {
    exchange(1, kStart - 3 * kSampleRate, "&reset_user_state=1&request_lead=1", "");
    exchange(1, kStart - 3 * kSampleRate + kBatch, "&mark_start_singing=1", "");
  }
  void exchange(UserId id, Clock read, const std::string& extra, std::string_view body) {
    const std::string q = "userid=" + std::to_string(id) + "&read_clock=" + std::to_string(read) +
                          "&n_samples=" + std::to_string(kBatch) + extra;
    auto r = service.handle(q, body, {});
    if (r.error) throw std::runtime_error(r.error->message);
  }
};

/// `singers` singers at the same delay (6 s) upload voice and read the mix, every one of them
/// once per iteration. With more than one, all but the first reuse the first's packets (shared
/// encoding), so the cost per exchange approaches decode + room + render.
void exchange_loop(benchmark::State& state, int singers) {
  Fixture f;
  constexpr std::size_t kBodies = 20;
  const auto pcm = voice(static_cast<std::size_t>(kBatch) * kBodies);
  std::vector<std::string> bodies;
  for (std::size_t i = 0; i < kBodies; ++i) {
    bodies.push_back(encode_body(std::span(pcm).subspan(i * kBatch, kBatch)));
  }
  Clock read = kStart - 6 * kSampleRate;
  for (UserId id = 2; id < static_cast<UserId>(2 + singers); ++id) {
    f.exchange(id, read, "&reset_user_state=1&write_clock=" + std::to_string(read), bodies[0]);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    read += kBatch;
    f.clock.advance(kBatch);
    ++i;
    for (UserId id = 2; id < static_cast<UserId>(2 + singers); ++id) {
      f.exchange(id, read, "&write_clock=" + std::to_string(read) + "&user_summary=1",
                 bodies[(i + id) % kBodies]);
    }
  }
  state.SetItemsProcessed(singers * state.iterations());
}

void BM_WholeExchange(benchmark::State& state) {
  exchange_loop(state, 1);
}
BENCHMARK(BM_WholeExchange)->Unit(benchmark::kMicrosecond);

void BM_WholeExchangeSharedPair(benchmark::State& state) {
  exchange_loop(state, 2);
}
BENCHMARK(BM_WholeExchangeSharedPair)->Unit(benchmark::kMicrosecond);

void BM_RoomOnly(benchmark::State& state) {
  ManualSampleClock clock{kStart};
  Room room{clock, RoomConfig{.max_users = 1000, .seed = 1}};
  const auto pcm = voice(static_cast<std::size_t>(kBatch));
  std::vector<float> audio(kBatch), backing(kBatch);
  std::vector<WriterCount> writers(kBatch);
  const ExchangeBuffers buffers{audio, backing, writers};
  ExchangeResult result;
  ExchangeRequest req;
  req.user_id = 1;
  req.n_samples = kBatch;
  req.read_clock = kStart - 3 * kSampleRate;
  req.reset_user_state = true;
  req.controls.request_lead = true;
  std::vector<float> silence(kBatch, 0.0f);
  room.exchange(req, silence, buffers, result);
  req.reset_user_state = false;
  req.controls.request_lead = false;
  req.controls.mark_start_singing = true;
  req.read_clock += kBatch;
  room.exchange(req, silence, buffers, result);
  req.controls.mark_start_singing = false;
  req.user_summary = true;
  for (auto _ : state) {
    clock.advance(kBatch);
    req.read_clock += kBatch;
    req.write_clock = req.read_clock;
    room.exchange(req, pcm, buffers, result);
    render_reply(audio, backing, writers, result.levels);
    benchmark::DoNotOptimize(audio.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RoomOnly)->Unit(benchmark::kMicrosecond);

// Decoding one 600 ms upload: what no server can share, so it sets the ceiling of singers per
// core (bench/capacity.sh). The argument is the upload bitrate: 64 kb/s as the page sends,
// 256 kb/s as the original client's uploads run after a reconnect.
void BM_Decode600ms(benchmark::State& state) {
  const auto pcm = voice(static_cast<std::size_t>(kBatch));
  const std::string body = encode_body(pcm, static_cast<int>(state.range(0)));
  PacketList packets;
  parse_container(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
                  packets);
  codec::Decoder decoder;
  std::vector<float> out(codec::kMaxPacketSamples);
  for (auto _ : state) {
    for (const auto p : packets.view()) benchmark::DoNotOptimize(decoder.decode(p, out));
  }
}
BENCHMARK(BM_Decode600ms)->Arg(64'000)->Arg(256'000)->Unit(benchmark::kMicrosecond);

/// BM_Decode600ms as a server does it: one decoder per singer, each decoding its own next
/// 600 ms of a 12 s voice at 64 kb/s, taken in turn, so each decode finds its decoder's state
/// (18 KB) cold. Arg: singers. Time is per 600 ms upload.
void BM_Decode600msAcrossDecoders(benchmark::State& state) {
  constexpr std::size_t kUploads = 20;
  const auto pcm = voice(static_cast<std::size_t>(kBatch) * kUploads);
  const std::string body = encode_body(pcm, 64'000);
  PacketList all;
  parse_container(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()), all);
  const std::vector<std::span<const std::uint8_t>> packets(all.view().begin(), all.view().end());
  const auto per_upload = static_cast<std::size_t>(kBatch / kOpusFrameSamples);
  std::vector<codec::Decoder> decoders(static_cast<std::size_t>(state.range(0)));
  std::vector<float> out(codec::kMaxPacketSamples);
  std::size_t upload = 0;
  for (auto _ : state) {
    for (std::size_t d = 0; d < decoders.size(); ++d, ++upload) {
      // Singers are at different places in the song: each starts its upload elsewhere.
      const std::size_t first = ((upload + d * 7) % kUploads) * per_upload;
      for (std::size_t i = 0; i < per_upload; ++i) {
        benchmark::DoNotOptimize(decoders[d].decode(packets[first + i], out));
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(upload));
  state.counters["us_per_upload"] = benchmark::Counter(
      static_cast<double>(upload), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Decode600msAcrossDecoders)->Arg(1)->Arg(600)->Unit(benchmark::kMicrosecond);

void BM_Encode600ms(benchmark::State& state) {
  const auto pcm = voice(static_cast<std::size_t>(kBatch));
  codec::Encoder encoder;
  encoder.set_complexity(static_cast<int>(state.range(0)));
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
  for (auto _ : state) {
    for (Clock i = 0; i < kBatch; i += kOpusFrameSamples) {
      benchmark::DoNotOptimize(encoder.encode(
          std::span(pcm).subspan(static_cast<std::size_t>(i), kOpusFrameSamples), packet));
    }
  }
}
// Complexity 10 is libopus's default and the server's; 0 is what a load tester may use.
BENCHMARK(BM_Encode600ms)->Arg(10)->Arg(5)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace brigade
