#include "stem_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace brigade::server {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Seen {
  StemUpload upload;
  std::string name;
  std::vector<Bytes> packets;
};

std::vector<Seen> drain(StemQueue& q) {
  std::vector<Seen> seen;
  q.drain([&](const StemUpload& u, PacketSpans packets) {
    Seen s{u, std::string(u.name), {}};
    for (const auto p : packets) s.packets.emplace_back(p.begin(), p.end());
    seen.push_back(std::move(s));
  });
  return seen;
}

TEST(StemQueue, HandsOverUploadsInOrderWithTheirPackets) {
  StemQueue q(4096);
  const std::vector<Bytes> a = {{1, 2, 3}, {4}, {5, 6}};
  const std::vector<Bytes> b = {Bytes(300, 7)};
  const std::vector<std::span<const std::uint8_t>> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  EXPECT_TRUE(q.push({.song = 3, .song_start = 100, .user = 7, .begin = 90, .name = "Ada"}, sa));
  EXPECT_TRUE(q.push({.song = 3, .song_start = 100, .user = 8, .begin = 95, .name = "Bo é"}, sb));
  const auto seen = drain(q);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].upload.song, 3u);
  EXPECT_EQ(seen[0].upload.song_start, 100);
  EXPECT_EQ(seen[0].upload.user, 7u);
  EXPECT_EQ(seen[0].upload.begin, 90);
  EXPECT_EQ(seen[0].name, "Ada");
  EXPECT_EQ(seen[0].packets, a);
  EXPECT_EQ(seen[1].name, "Bo é");
  EXPECT_EQ(seen[1].packets, b);
  EXPECT_EQ(q.queued(), 2u);
  EXPECT_TRUE(drain(q).empty()) << "drained once";
}

TEST(StemQueue, AFullQueueDropsAndCountsInsteadOfWaiting) {
  StemQueue q(1024);
  const std::vector<Bytes> packets = {Bytes(200, 1)};
  const std::vector<std::span<const std::uint8_t>> spans(packets.begin(), packets.end());
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += q.push({.song = 1, .user = 1, .name = "x"}, spans);
  EXPECT_EQ(accepted, 4);  // 256 bytes a record: 48 of header, name, length, packet, padding
  EXPECT_EQ(q.dropped(), 6u);
  EXPECT_EQ(drain(q).size(), 4u);
  // Drained: room again.
  EXPECT_TRUE(q.push({.song = 1, .user = 1, .name = "x"}, spans));
  // An upload larger than the whole queue is dropped, never split.
  const std::vector<Bytes> huge = {Bytes(2000, 1)};
  const std::vector<std::span<const std::uint8_t>> hs(huge.begin(), huge.end());
  EXPECT_FALSE(q.push({.song = 1, .user = 2, .name = "y"}, hs));
  EXPECT_EQ(q.dropped(), 7u);
  EXPECT_EQ(drain(q).size(), 1u);
}

}  // namespace
}  // namespace brigade::server
