// brigade: the API's multi-packet Opus container: count:uint8, then count × {len:uint16 BE,
// len bytes}. No padding, no trailer.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace brigade {

/// At most 255 packets fit the count byte.
inline constexpr std::size_t kMaxContainerPackets = 255;
/// The count byte, and each packet's length prefix.
inline constexpr std::size_t kContainerCountBytes = 1;
inline constexpr std::size_t kPacketLengthBytes = 2;

/// Why a container did not parse.
enum class ContainerError { kNone, kEmpty, kTruncated, kTrailingBytes, kEmptyPacket };

/// Text for an error, for the client's message.
const char* to_string(ContainerError e);

/// Views into the parsed body (no copies); valid while the body is.
struct PacketList {
  std::array<std::span<const std::uint8_t>, kMaxContainerPackets> packets{};
  std::size_t count = 0;
  std::span<const std::span<const std::uint8_t>> view() const { return {packets.data(), count}; }
};

/// Parses a whole container. A pure function of bytes: no allocation, bounded work.
ContainerError parse_container(std::span<const std::uint8_t> bytes, PacketList& out);

/// Appends a container header byte for `count` packets.
void begin_container(std::string& out, std::size_t count);
/// Appends one packet with its 16-bit big-endian length.
void append_packet(std::string& out, std::span<const std::uint8_t> packet);

}  // namespace brigade
