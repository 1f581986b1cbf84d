#include "shared_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "brigade/codec/packet_container.hpp"
#include "client/tone.hpp"

namespace brigade::server {
namespace {

constexpr std::int64_t kNow = 1'000;  // seconds, for the group sweep
constexpr std::size_t kFrames = 10;

std::vector<float> tone(std::int64_t first_frame) {
  return client::sine(440.0, 0.3f, kFrames * kOpusFrameSamples, first_frame * kOpusFrameSamples);
}

void parse(const std::string& body, PacketList& out) {
  EXPECT_EQ(parse_container(
                std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()), out),
            ContainerError::kNone);
}

TEST(SharedEncoders, TheSecondListenerOfAFrameReusesTheFirstListenersPacket) {
  SharedEncoders shared;
  std::optional<codec::Encoder> own_a, own_b;
  const ShareKey key{6, 1.0f};
  std::string a, b;
  ASSERT_TRUE(shared.append_packets(key, 100, tone(100), own_a, a, kNow));
  ASSERT_TRUE(shared.append_packets(key, 100, tone(100), own_b, b, kNow));
  EXPECT_EQ(a, b);  // byte for byte the same stream
  const auto stats = shared.stats();
  EXPECT_EQ(stats.encoded, kFrames);
  EXPECT_EQ(stats.reused, kFrames);
  EXPECT_EQ(stats.missed, 0u);
  // Nobody missed, so no singer needed an encoder of its own.
  EXPECT_FALSE(own_a.has_value());
  EXPECT_FALSE(own_b.has_value());
}

TEST(SharedEncoders, AWholeReplyComesFromTheCacheOnlyWhenEveryFrameIsThere) {
  SharedEncoders shared;
  std::optional<codec::Encoder> own;
  const ShareKey key{6, 1.0f};
  std::string none;
  EXPECT_FALSE(shared.append_cached(key, 100, kFrames, none, kNow));
  EXPECT_EQ(shared.group_count(), 0u);  // a lookup makes no group
  std::string first;
  ASSERT_TRUE(shared.append_packets(key, 100, tone(100), own, first, kNow));
  std::string cached;
  ASSERT_TRUE(shared.append_cached(key, 100, kFrames, cached, kNow));
  EXPECT_EQ(cached, first);  // byte for byte the group's stream, in the container framing
  // One frame past what the group encoded, or another key: nothing appended.
  std::string partial;
  EXPECT_FALSE(shared.append_cached(key, 101, kFrames, partial, kNow));
  EXPECT_FALSE(shared.append_cached({6, 0.5f}, 100, kFrames, partial, kNow));
  EXPECT_TRUE(partial.empty());
  shared.count_whole_reply(kFrames);
  EXPECT_EQ(shared.stats().whole_replies, 1u);
  EXPECT_EQ(shared.stats().reused, kFrames);
}

TEST(SharedEncoders, AnotherDelayOrBackingLevelIsAnotherStream) {
  SharedEncoders shared;
  std::optional<codec::Encoder> own;
  std::string a, b, c;
  ASSERT_TRUE(shared.append_packets({6, 1.0f}, 100, tone(100), own, a, kNow));
  ASSERT_TRUE(shared.append_packets({9, 1.0f}, 100, tone(100), own, b, kNow));
  ASSERT_TRUE(shared.append_packets({6, 0.5f}, 100, tone(100), own, c, kNow));
  EXPECT_EQ(shared.stats().encoded, 3 * kFrames);
  EXPECT_EQ(shared.stats().reused, 0u);
  EXPECT_EQ(shared.group_count(), 3u);
}

TEST(SharedEncoders, AFrameTheGroupSkippedComesFromTheSingersOwnEncoder) {
  SharedEncoders shared;
  std::optional<codec::Encoder> own;
  const ShareKey key{6, 1.0f};
  std::string ahead, behind;
  // One listener jumps to frame 200; another then asks for 195..204: 195..199 were never
  // encoded by the group and it cannot go back, 200..204 are cached.
  ASSERT_TRUE(shared.append_packets(key, 200, tone(200), own, ahead, kNow));
  EXPECT_FALSE(own.has_value());
  ASSERT_TRUE(shared.append_packets(key, 195, tone(195), own, behind, kNow));
  EXPECT_TRUE(own.has_value());  // made for the misses
  EXPECT_EQ(shared.stats().missed, 5u);
  EXPECT_EQ(shared.stats().reused, 5u);
  PacketList packets;
  parse(behind, packets);
  EXPECT_EQ(packets.count, kFrames);
}

TEST(SharedEncoders, TheSharedStreamDecodesToTheTone) {
  SharedEncoders shared;
  std::optional<codec::Encoder> own;
  client::OpusPipe listener;
  std::vector<float> heard;
  for (std::int64_t first = 100; first < 130; first += kFrames) {
    std::string body;
    ASSERT_TRUE(shared.append_packets({6, 1.0f}, first, tone(first), own, body, kNow));
    PacketList packets;
    parse(body, packets);
    std::vector<client::Packet> list;
    for (const auto p : packets.view()) list.emplace_back(p.begin(), p.end());
    const auto pcm = listener.decode(list);
    heard.insert(heard.end(), pcm.begin(), pcm.end());
  }
  const std::span<const float> tail = std::span(heard).last(kFrames * kOpusFrameSamples);
  EXPECT_GT(client::goertzel_power(tail, 440.0), 0.3 * 0.3 / 4 * 0.5);
  EXPECT_LT(client::goertzel_power(tail, 660.0), 1e-4);
}

TEST(SharedEncoders, BeyondTheGroupCapASingerUsesItsOwnEncoder) {
  SharedEncoders shared;
  std::optional<codec::Encoder> own;
  std::string out;
  for (std::size_t i = 0; i < SharedEncoders::kMaxGroups; ++i) {
    out.clear();
    ASSERT_TRUE(shared.append_packets({static_cast<std::int64_t>(i), 1.0f}, 100, tone(100), own,
                                      out, kNow));
  }
  EXPECT_EQ(shared.group_count(), SharedEncoders::kMaxGroups);
  // A new key: no new group, but a whole, decodable stream from the singer's own encoder.
  std::optional<codec::Encoder> fresh;
  std::string beyond;
  ASSERT_TRUE(shared.append_packets({999, 0.5f}, 100, tone(100), fresh, beyond, kNow));
  EXPECT_EQ(shared.group_count(), SharedEncoders::kMaxGroups);
  EXPECT_EQ(shared.stats().refused, 1u);
  PacketList packets;
  parse(beyond, packets);
  EXPECT_EQ(packets.view().size(), kFrames);
  // Once the groups have been idle for a while they are swept and the key gets its group.
  std::string later;
  ASSERT_TRUE(shared.append_packets({999, 0.5f}, 300, tone(300), fresh, later, kNow + 31));
  EXPECT_EQ(shared.group_count(), 1u);
  EXPECT_EQ(shared.stats().refused, 1u);
}

}  // namespace
}  // namespace brigade::server
