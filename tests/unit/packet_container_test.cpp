#include "brigade/codec/packet_container.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace brigade {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::vector<std::uint8_t> packet(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(seed + i * 31);
  return p;
}

std::string build(const std::vector<std::vector<std::uint8_t>>& packets) {
  std::string out;
  begin_container(out, packets.size());
  for (const auto& p : packets) append_packet(out, p);
  return out;
}

TEST(PacketContainer, RoundTrip) {
  const std::vector<std::vector<std::uint8_t>> packets{packet(1, 1), packet(367, 2), packet(256, 3),
                                                       packet(3832, 4)};
  const std::string body = build(packets);
  EXPECT_EQ(body.size(), 1 + 2 * 4 + 1 + 367 + 256 + 3832);
  PacketList list;
  ASSERT_EQ(parse_container(bytes_of(body), list), ContainerError::kNone);
  ASSERT_EQ(list.count, packets.size());
  ASSERT_EQ(list.view().size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(std::vector<std::uint8_t>(list.packets[i].begin(), list.packets[i].end()),
              packets[i]);
    // Views, not copies: they point into the body.
    EXPECT_GE(list.packets[i].data(), bytes_of(body).data());
    EXPECT_LE(list.packets[i].data() + list.packets[i].size(), bytes_of(body).data() + body.size());
  }
}

TEST(PacketContainer, LengthIsSixteenBitBigEndian) {
  const std::string body = build({packet(0x0123, 9)});
  EXPECT_EQ(static_cast<unsigned char>(body[0]), 1);
  EXPECT_EQ(static_cast<unsigned char>(body[1]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(body[2]), 0x23);
  // Hand-built: two packets of 2 and 1 bytes.
  const std::string hand("\x02\x00\x02\xAA\xBB\x00\x01\xCC", 8);
  PacketList list;
  ASSERT_EQ(parse_container(bytes_of(hand), list), ContainerError::kNone);
  ASSERT_EQ(list.count, 2u);
  EXPECT_EQ(list.packets[0].size(), 2u);
  EXPECT_EQ(list.packets[0][1], 0xBB);
  EXPECT_EQ(list.packets[1].size(), 1u);
  EXPECT_EQ(list.packets[1][0], 0xCC);
}

TEST(PacketContainer, EmptyInput) {
  PacketList list;
  list.count = 7;
  EXPECT_EQ(parse_container({}, list), ContainerError::kEmpty);
  EXPECT_EQ(list.count, 0u);
}

TEST(PacketContainer, ZeroPacketsIsValid) {
  PacketList list;
  const std::string body(1, '\0');
  EXPECT_EQ(parse_container(bytes_of(body), list), ContainerError::kNone);
  EXPECT_EQ(list.count, 0u);
}

TEST(PacketContainer, TruncatedAnywhere) {
  const std::string body = build({packet(10, 1), packet(20, 2), packet(5, 3)});
  PacketList list;
  // Every strict prefix (but the empty one) is truncated: inside a length or inside a packet.
  for (std::size_t n = 1; n < body.size(); ++n) {
    list.count = 99;
    EXPECT_EQ(parse_container(bytes_of(body.substr(0, n)), list), ContainerError::kTruncated) << n;
    EXPECT_EQ(list.count, 0u) << "a failed parse reports no packets";
  }
}

TEST(PacketContainer, CountLargerThanThePackets) {
  std::string body = build({packet(10, 1)});
  body[0] = 2;
  PacketList list;
  EXPECT_EQ(parse_container(bytes_of(body), list), ContainerError::kTruncated);
}

TEST(PacketContainer, TrailingBytes) {
  std::string body = build({packet(10, 1), packet(3, 2)});
  body.push_back('\x00');
  PacketList list;
  EXPECT_EQ(parse_container(bytes_of(body), list), ContainerError::kTrailingBytes);
  EXPECT_EQ(list.count, 0u);
  // Count smaller than the packets present: the rest is trailing.
  std::string fewer = build({packet(10, 1), packet(3, 2)});
  fewer[0] = 1;
  EXPECT_EQ(parse_container(bytes_of(fewer), list), ContainerError::kTrailingBytes);
}

TEST(PacketContainer, ZeroLengthPacketIsRefused) {
  const std::string body("\x02\x00\x01\xAA\x00\x00", 6);
  PacketList list;
  EXPECT_EQ(parse_container(bytes_of(body), list), ContainerError::kEmptyPacket);
  EXPECT_EQ(list.count, 0u);
}

TEST(PacketContainer, TwoHundredFiftyFivePackets) {
  std::vector<std::vector<std::uint8_t>> packets;
  for (std::size_t i = 0; i < kMaxContainerPackets; ++i) {
    packets.push_back(packet(1 + i % 40, static_cast<std::uint8_t>(i)));
  }
  const std::string body = build(packets);
  EXPECT_EQ(static_cast<unsigned char>(body[0]), 255);
  PacketList list;
  ASSERT_EQ(parse_container(bytes_of(body), list), ContainerError::kNone);
  ASSERT_EQ(list.count, 255u);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    ASSERT_EQ(std::vector<std::uint8_t>(list.packets[i].begin(), list.packets[i].end()), packets[i])
        << i;
  }
}

TEST(PacketContainer, ErrorsHaveText) {
  for (auto e : {ContainerError::kNone, ContainerError::kEmpty, ContainerError::kTruncated,
                 ContainerError::kTrailingBytes, ContainerError::kEmptyPacket}) {
    EXPECT_GT(std::strlen(to_string(e)), 0u);
  }
  EXPECT_STRNE(to_string(ContainerError::kTruncated), to_string(ContainerError::kTrailingBytes));
}

}  // namespace
}  // namespace brigade
