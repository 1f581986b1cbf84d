// brigade fuzzing: the multi-packet Opus container parser.
#include "brigade/codec/packet_container.hpp"
#include "fuzz_target.hpp"

namespace brigade::fuzz {

ContainerError container_input(Input bytes) {
  PacketList list;
  const ContainerError e = parse_container(bytes, list);
  if (e != ContainerError::kNone) {
    BRIGADE_FUZZ_CHECK(list.count == 0 && list.view().empty());
    return e;
  }
  BRIGADE_FUZZ_CHECK(!bytes.empty());
  BRIGADE_FUZZ_CHECK(list.count == bytes[0] && list.count <= kMaxContainerPackets);
  // The header byte, one 2-byte length per packet and the packets themselves make up the input:
  // packets are contiguous and in order, each preceded by its big-endian length.
  std::size_t total = 1;
  const std::uint8_t* expected_at = bytes.data() + 1;
  for (const auto& p : list.view()) {
    BRIGADE_FUZZ_CHECK(!p.empty());
    BRIGADE_FUZZ_CHECK(p.data() == expected_at + 2);
    BRIGADE_FUZZ_CHECK(p.data() + p.size() <= bytes.data() + bytes.size());
    BRIGADE_FUZZ_CHECK(((std::size_t{expected_at[0]} << 8) | expected_at[1]) == p.size());
    expected_at = p.data() + p.size();
    total += 2 + p.size();
  }
  BRIGADE_FUZZ_CHECK(total == bytes.size());
  return e;
}

}  // namespace brigade::fuzz
