// Integration tests: one two-singer song in a room, for tests that run songs in several rooms
// at once (directly or through a proxy). The leader sings a tone of its own; the follower, one
// bucket later, records what it heard at its own room's tone and at the other rooms' tones.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "client/http_client.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"

namespace brigade::integration {

/// What the follower heard, per Opus packet (60 ms) inside the song's tone span.
struct HeardSong {
  std::vector<double> own;    ///< Goertzel power at the room's tone
  std::vector<double> other;  ///< Goertzel power at the other room's tone
  double expected = 0.0;      ///< the own tone's power as the mix formula makes it
  std::string problem;        ///< first failed exchange, empty when all succeeded
};

/// Runs the song at `api_path` ("/r/<room>/api") of 127.0.0.1:`port`: the leader (userid
/// `id`) sings `own_hz` for 3 s; the follower (userid `id + 1`) reads it back.
inline HeardSong sing_room_song(std::uint16_t port, const std::string& api_path, double own_hz,
                                double other_hz, std::uint64_t id) {
  constexpr Clock kChunk = 28'800;  // 600 ms
  constexpr Clock kFrame = 2'880;   // one Opus packet
  constexpr float kAmplitude = 0.2f;
  client::HttpClient leader_http("127.0.0.1", port), follower_http("127.0.0.1", port);
  client::Singer leader(leader_http, id, "Leader", api_path);
  client::Singer follower(follower_http, id + 1, "Follower", api_path);
  HeardSong out;
  const Clock now = follower.connect(6.0);
  leader.start_at(now - 3 * 48'000 - (now - 3 * 48'000) % kFrame);
  std::vector<std::pair<Clock, std::vector<float>>> heard;
  auto follow = [&] {
    auto r = follower.exchange(kChunk);
    if (!r.ok() && out.problem.empty()) out.problem = "follower: " + r.problem;
    heard.emplace_back(r.reply.client_read_clock - kChunk, std::move(r.pcm));
  };
  auto sing = [&](client::ExchangeParams p = {}) {
    const Clock begin = leader.next_read_clock(kChunk) - kChunk;
    const auto tone = client::sine(own_hz, kAmplitude, kChunk, begin);
    const auto r = leader.exchange(kChunk, &tone, p);
    if (!r.ok() && out.problem.empty()) out.problem = "leader: " + r.problem;
  };
  follow();
  sing();
  client::ExchangeParams lead;
  lead.request_lead = true;
  sing(lead);
  client::ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = leader.next_read_clock(kChunk);
  sing(start);
  for (int i = 0; i < 5; ++i) sing();
  const Clock tone_end = leader.next_read_clock(kChunk) - kChunk;
  while (follower.next_read_clock(kChunk) <= tone_end && out.problem.empty()) follow();
  for (const auto& [begin, pcm] : heard) {
    for (Clock at = 0; at + kFrame <= static_cast<Clock>(pcm.size()); at += kFrame) {
      if (begin + at < song_start + kFrame || begin + at + kFrame > tone_end) continue;
      const auto block = std::span<const float>(pcm).subspan(static_cast<std::size_t>(at), kFrame);
      out.own.push_back(client::goertzel_power(block, own_hz));
      out.other.push_back(client::goertzel_power(block, other_hz));
    }
  }
  // Leader boost (≈2) × auto-gain 1 (one writer) × global volume 1.2, as song_integration_test.
  out.expected = std::pow(kAmplitude * 1.996 * 1.2, 2) / 4;
  return out;
}

/// The follower heard its own room's tone in every packet of the song and never the other's.
inline void expect_only_own_tone(const HeardSong& song, const std::string& room) {
  EXPECT_TRUE(song.problem.empty()) << room << ": " << song.problem;
  EXPECT_GE(song.own.size(), 40u) << room;
  for (std::size_t i = 0; i < song.own.size(); ++i) {
    EXPECT_GT(song.own[i], song.expected * 0.25) << room << ": no own tone in packet " << i;
    EXPECT_LT(song.other[i], song.expected * 1e-3)
        << room << ": the other room's tone, packet " << i;
  }
}

}  // namespace brigade::integration
