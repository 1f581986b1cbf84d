// Integration: a two-singer song over real HTTP and real Opus. The leader sings a 440 Hz tone
// at write clocks equal to its read clocks (3 s behind the server); a follower reads 6 s behind
// (the next bucket) and must hear the tone from the song's start clock on, and silence before.
#include <boost/json.hpp>
#include <map>

#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server_fixture.hpp"

namespace brigade::integration {
namespace {

/// One fixture name per file keeps CTest's test names unique across executables.
using Song = ServerTest;

using client::ExchangeParams;

constexpr Clock kChunk = 28'800;  // 600 ms
constexpr Clock kFrame = 2'880;   // one Opus packet
constexpr double kToneHz = 440.0;
constexpr float kToneAmplitude = 0.2f;

TEST_F(Song, FollowerHearsTheLeaderOnlyOnceTheSongHasStarted) {
  constexpr std::uint64_t kLeader = 1111, kFollower = 2222;
  client::Singer leader(*http_, kLeader, "Leader");
  client::Singer follower(*http_, kFollower, "Follower");
  // Both read behind the same clock reading; the follower one bucket (3 s) later.
  const Clock now = follower.connect(6.0);
  leader.start_at(now - 3 * 48'000 - (now - 3 * 48'000) % kFrame);

  // The follower joins first, so request_lead counts it as a follower.
  std::map<Clock, float> heard;  // follower: interval start → Goertzel power (per packet)
  auto follow = [&](ExchangeParams p = {}) {
    const auto r = follower.exchange(kChunk, nullptr, p);
    EXPECT_TRUE(r.ok()) << r.problem;
    const Clock begin = r.reply.client_read_clock - kChunk;
    for (Clock at = 0; at + kFrame <= static_cast<Clock>(r.pcm.size()); at += kFrame) {
      heard[begin + at] = static_cast<float>(client::goertzel_power(
          std::span<const float>(r.pcm).subspan(static_cast<std::size_t>(at), kFrame), kToneHz));
    }
    return r;
  };
  follow();

  // The leader sings from its first request: writes before the song must be dropped.
  auto sing = [&](ExchangeParams p = {}) {
    const Clock begin = leader.next_read_clock(kChunk) - kChunk;
    const auto tone = client::sine(kToneHz, kToneAmplitude, kChunk, begin);
    const auto r = leader.exchange(kChunk, &tone, p);
    EXPECT_TRUE(r.ok()) << r.problem;
    return r;
  };
  sing();
  ExchangeParams lead;
  lead.request_lead = true;
  const auto led = sing(lead);
  ASSERT_TRUE(led.reply.leader.has_value());
  EXPECT_EQ(*led.reply.leader, std::to_string(kLeader));
  EXPECT_EQ(led.reply.delay_seconds, 3);  // the leader is told to sit in the first bucket

  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = leader.next_read_clock(kChunk);
  const auto started = sing(start);
  EXPECT_EQ(started.reply.song_start_clock, song_start);
  for (int i = 0; i < 5; ++i) sing();  // 3 s of tone inside the song
  const Clock song_tone_end = leader.next_read_clock(kChunk) - kChunk;

  // The follower learns the bucket assignment and the song on its next replies, and then
  // reads on until it has passed the leader's last written clock.
  const auto told = follow();
  EXPECT_EQ(told.reply.delay_seconds, 6);
  EXPECT_EQ(told.reply.song_start_clock, song_start);
  ASSERT_TRUE(told.reply.leader.has_value());
  EXPECT_EQ(*told.reply.leader, std::to_string(kLeader));
  while (follower.next_read_clock(kChunk) <= song_tone_end) follow();

  // Expected level: leader boost (≈2) × auto-gain 1 (one writer) × global volume 1.2.
  const double expected = std::pow(kToneAmplitude * 1.996 * 1.2, 2) / 4;
  int silent = 0, toned = 0;
  for (const auto& [begin, power] : heard) {
    if (begin + kFrame <= song_start - kFrame) {
      // Before the song (the leader was singing then too, but outside a song).
      EXPECT_LT(power, expected * 1e-4) << "tone before the song at " << begin - song_start;
      ++silent;
    } else if (begin >= song_start + kFrame && begin + kFrame <= song_tone_end) {
      EXPECT_GT(power, expected * 0.25) << "no tone in the song at " << begin - song_start;
      EXPECT_LT(power, expected * 4) << "tone too loud at " << begin - song_start;
      ++toned;
    }
  }
  // The follower covered seconds of both regions.
  EXPECT_GE(silent, 20);
  EXPECT_GE(toned, 40);
}

TEST_F(Song, TwinListenersGetOneStreamAndTheSecondNeverCopiesTheMix) {
  // Two listeners one bucket behind the leader read the same frames, A first: B's replies are
  // A's packets byte for byte, taken from the group's cache before the room (whole replies).
  client::HttpClient a_http("127.0.0.1", server_->port()), b_http("127.0.0.1", server_->port());
  client::Singer leader(*http_, 1111, "Leader"), a(a_http, 2222, "A"), b(b_http, 3333, "B");
  const Clock now = client::local_clock_now();
  const Clock lead_at = now - 3 * 48'000 - (now - 3 * 48'000) % kFrame;
  leader.start_at(lead_at);
  a.start_at(lead_at - 3 * 48'000);
  b.start_at(lead_at - 3 * 48'000);
  auto sing = [&](ExchangeParams p = {}) {
    const Clock begin = leader.next_read_clock(kChunk) - kChunk;
    const auto tone = client::sine(kToneHz, kToneAmplitude, kChunk, begin);
    EXPECT_TRUE(leader.exchange(kChunk, &tone, p).ok());
  };
  sing();
  ExchangeParams lead, start;
  lead.request_lead = true;
  start.mark_start_singing = true;
  sing(lead);
  sing(start);
  for (int i = 0; i < 5; ++i) sing();
  const Clock tone_end = leader.next_read_clock(kChunk) - kChunk;
  int same = 0, toned = 0;
  while (a.next_read_clock(kChunk) <= tone_end) {
    const auto first = a.exchange(kChunk);
    const auto second = b.exchange(kChunk);
    ASSERT_TRUE(first.ok() && second.ok()) << first.problem << second.problem;
    ASSERT_EQ(first.reply.client_read_clock, second.reply.client_read_clock);
    EXPECT_EQ(second.reply.packets, first.reply.packets);
    same += second.reply.packets == first.reply.packets ? 1 : 0;
    for (Clock at = 0; at + kFrame <= kChunk; at += kFrame) {
      const auto block =
          std::span<const float>(second.pcm).subspan(static_cast<std::size_t>(at), kFrame);
      toned += client::goertzel_power(block, kToneHz) > 1e-4 ? 1 : 0;
    }
  }
  EXPECT_GE(same, 10);
  EXPECT_GE(toned, 30);  // B heard the song: the cached packets are the mix, not silence
  const auto telemetry = boost::json::parse(http_->get("/api/telemetry").body);
  const auto& shared = telemetry.at("server").at("shared_encoding");
  // Every reply of B inside the song after its first could come whole from the cache.
  EXPECT_GE(shared.at("whole_replies").to_number<int>(), 8) << shared;
  EXPECT_EQ(shared.at("frames_missed").to_number<int>(), 0) << shared;
}

}  // namespace
}  // namespace brigade::integration
