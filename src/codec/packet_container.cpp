// brigade: multi-packet container.
#include "brigade/codec/packet_container.hpp"

namespace brigade {

const char* to_string(ContainerError e) {
  switch (e) {
    case ContainerError::kNone:
      return "ok";
    case ContainerError::kEmpty:
      return "empty Opus container";
    case ContainerError::kTruncated:
      return "truncated Opus container";
    case ContainerError::kTrailingBytes:
      return "bytes after the last Opus packet";
    case ContainerError::kEmptyPacket:
      return "zero-length Opus packet";
  }
  return "bad Opus container";
}

ContainerError parse_container(std::span<const std::uint8_t> bytes, PacketList& out) {
  out.count = 0;
  if (bytes.empty()) return ContainerError::kEmpty;
  const std::size_t count = bytes[0];
  std::size_t pos = 1;
  for (std::size_t i = 0; i < count; ++i) {
    if (bytes.size() - pos < 2) return ContainerError::kTruncated;
    const std::size_t len = (std::size_t{bytes[pos]} << 8) | bytes[pos + 1];
    pos += 2;
    if (len == 0) return ContainerError::kEmptyPacket;
    if (bytes.size() - pos < len) return ContainerError::kTruncated;
    out.packets[i] = bytes.subspan(pos, len);
    pos += len;
  }
  if (pos != bytes.size()) return ContainerError::kTrailingBytes;
  out.count = count;
  return ContainerError::kNone;
}

void begin_container(std::string& out, std::size_t count) {
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(count)));
}

void append_packet(std::string& out, std::span<const std::uint8_t> packet) {
  out.push_back(static_cast<char>((packet.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(packet.size() & 0xff));
  out.append(reinterpret_cast<const char*>(packet.data()), packet.size());
}

}  // namespace brigade
