// brigade-sim-singers: a choir of simulated singers that upload real Opus audio to a running
// brigade-server, in a pattern the debug chart's browser test can check pixel by pixel.
//
// One leader takes the lead and starts a song 60 s in the past (so every later upload lands in
// the song), then every singer exchanges 600 ms blocks in real time, `3 + 3 * bucket` seconds
// behind the server clock, writing one block (600 ms) behind what it reads. Blocks sit on an
// absolute 600 ms grid; a singer uploads a tone only in "on" blocks (block index / 3 even), so
// the ring holds 1.8 s stripes of audio separated by 1.8 s that nobody wrote. Each accepted
// upload is printed as `WROTE <begin> <end>` (clocks), so the test knows exactly what was
// written. Usage: brigade-sim-singers --port P [--singers N] [--seconds S]
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <numbers>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/codec/packet_container.hpp"
#include "client/api_wire.hpp"
#include "client/http_client.hpp"
#include "client/singer.hpp"

namespace {

using brigade::Clock;
using brigade::kOpusFrameSamples;
using brigade::kSampleRate;
namespace client = brigade::client;

/// One exchange: 600 ms, what the browser sends.
constexpr Clock kBlock = 10 * kOpusFrameSamples;
/// Blocks per stripe: 3 blocks (1.8 s) of tone, then 3 without an upload.
constexpr Clock kStripeBlocks = 3;
/// How far back the song starts, so that every singer's first upload is inside it.
constexpr Clock kSongLead = Clock{60} * kSampleRate;
constexpr int kBuckets = 6;
constexpr float kAmplitude = 0.2f;
constexpr const char* kNames[] = {"Ada", "Ben",  "Cleo", "Dev", "Eun", "Fay", "Gus",
                                  "Hal", "Ines", "Jo",   "Kai", "Lev", "Mia", "Ned",
                                  "Ola", "Pia",  "Quin", "Rui", "Sol", "Tam"};

std::mutex out_mutex;

void say(const std::string& line) {
  std::lock_guard lock(out_mutex);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

Clock floor_to(Clock c, Clock step) {
  return c / step * step;
}

bool stripe_on(Clock write_begin) {
  return (write_begin / kBlock / kStripeBlocks) % 2 == 0;
}

/// The server clock via GET /api.
Clock server_clock(client::HttpClient& http) {
  const auto r = http.get("/api");
  client::ClockReply clock;
  if (r.status != 200 || !client::parse_clock_reply(r.header("X-Audio-Metadata"), clock).ok()) {
    throw std::runtime_error("clock request failed: HTTP " + std::to_string(r.status));
  }
  return clock.server_clock;
}

/// An Opus container of `pcm` (a multiple of 60 ms), one packet per 60 ms.
std::string encode(brigade::codec::Encoder& encoder, const std::vector<float>& pcm) {
  std::string body;
  brigade::begin_container(body, pcm.size() / kOpusFrameSamples);
  std::vector<std::uint8_t> packet(brigade::codec::kMaxReplyPacketBytes);
  for (std::size_t i = 0; i < pcm.size(); i += kOpusFrameSamples) {
    const int n = encoder.encode(std::span(pcm).subspan(i, kOpusFrameSamples), packet);
    if (n <= 0) throw brigade::codec::OpusError("opus_encode_float", n);
    brigade::append_packet(body, std::span(packet).first(static_cast<std::size_t>(n)));
  }
  return body;
}

struct Options {
  std::uint16_t port = 0;
  int singers = 12;
  double seconds = 60;
};

class SimSinger {
 public:
  SimSinger(const Options& o, int index)
      : http_("127.0.0.1", o.port),
        id_(1000 + static_cast<std::uint64_t>(index)),
        name_(kNames[index % std::size(kNames)]),
        bucket_(index % kBuckets),
        freq_(220.0 * (1 + bucket_)) {}

  /// Takes the lead and starts the song kSongLead in the past.
  void start_song() {
    const Clock now = server_clock(http_);
    client::ExchangeParams p;
    p.userid = id_;
    p.username = name_;
    p.read_clock = floor_to(now - kSongLead, kBlock);
    p.n_samples = kBlock;
    p.reset_user_state = true;
    p.request_lead = true;
    p.mark_start_singing = true;
    const auto r = http_.post(client::exchange_target(p), "");
    if (r.status != 200) throw std::runtime_error("starting the song failed: " + r.body);
    say("SONG " + std::to_string(p.read_clock));
  }

  void run(const std::atomic<bool>& stop) {
    const Clock delay = Clock{3 + 3 * bucket_} * kSampleRate;
    Clock read = floor_to(server_clock(http_) - delay, kBlock);
    bool reset = true;
    while (!stop.load()) {
      read += kBlock;
      client::wait_for_clock(read + delay);
      const Clock write = read - kBlock;
      const bool on = stripe_on(write - kBlock);
      client::ExchangeParams p;
      p.userid = id_;
      p.username = name_;
      p.read_clock = read;
      p.n_samples = kBlock;
      p.reset_user_state = reset || (on && !wrote_last_);
      std::string body;
      if (on) {
        if (p.reset_user_state) encoder_.reset();
        p.write_clock = write;
        body = encode(encoder_, tone(write - kBlock));
      }
      const auto r = http_.post(client::exchange_target(p), body);
      if (r.status != 200) {
        say("FAIL " + std::to_string(id_) + " HTTP " + std::to_string(r.status) + " " +
            r.header("X-Audio-Metadata"));
        reset = true;
        read = floor_to(server_clock(http_) - delay, kBlock);
        continue;
      }
      reset = false;
      wrote_last_ = on;
      if (on) say("WROTE " + std::to_string(write - kBlock) + " " + std::to_string(write));
    }
  }

 private:
  std::vector<float> tone(Clock begin) const {
    std::vector<float> v(kBlock);
    for (Clock i = 0; i < kBlock; ++i) {
      const double t = static_cast<double>(begin + i) / kSampleRate;
      v[i] = kAmplitude * static_cast<float>(std::sin(2 * std::numbers::pi * freq_ * t));
    }
    return v;
  }

  client::HttpClient http_;
  std::uint64_t id_;
  std::string name_;
  int bucket_;
  double freq_;
  brigade::codec::Encoder encoder_;
  bool wrote_last_ = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--port") {
      o.port = static_cast<std::uint16_t>(std::atoi(value));
    } else if (key == "--singers") {
      o.singers = std::atoi(value);
    } else if (key == "--seconds") {
      o.seconds = std::atof(value);
    } else {
      throw std::runtime_error("unknown option " + std::string(key));
    }
  }
  if (o.port == 0 || o.singers < 1) {
    throw std::runtime_error("usage: brigade-sim-singers --port P [--singers N] [--seconds S]");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    std::vector<std::unique_ptr<SimSinger>> singers;
    for (int i = 0; i < o.singers; ++i) singers.push_back(std::make_unique<SimSinger>(o, i));
    singers.front()->start_song();
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& s : singers) {
      threads.emplace_back([&s, &stop] {
        try {
          s->run(stop);
        } catch (const std::exception& e) {
          say(std::string("ERROR ") + e.what());
        }
      });
    }
    say("READY " + std::to_string(o.singers));
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    stop = true;
    for (auto& t : threads) t.join();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "brigade-sim-singers: %s\n", e.what());
    return 1;
  }
}
