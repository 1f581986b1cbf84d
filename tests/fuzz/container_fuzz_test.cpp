// Fuzz-style test of the multi-packet container parser: tens of thousands of random and mutated
// byte strings from a fixed seed, through the libFuzzer target's handler (container_target.cpp).
#include "brigade/codec/packet_container.hpp"

#include <gtest/gtest.h>

#include <memory>

#include <random>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

namespace brigade {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Runs the shared handler (fuzz_target.hpp) on a heap copy of exactly the input's size, so
// ASan flags any read past its end.
ContainerError check_invariants(const Bytes& input) {
  const auto heap = std::make_unique<std::uint8_t[]>(input.size() + (input.empty() ? 1 : 0));
  std::copy(input.begin(), input.end(), heap.get());
  return fuzz::container_input(std::span<const std::uint8_t>(heap.get(), input.size()));
}

Bytes valid_container(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> count(0, 8);
  std::uniform_int_distribution<int> length(1, 120);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s;
  const int n = count(rng);
  begin_container(s, static_cast<std::size_t>(n));
  Bytes p;
  for (int i = 0; i < n; ++i) {
    p.resize(static_cast<std::size_t>(length(rng)));
    for (auto& b : p) b = static_cast<std::uint8_t>(byte(rng));
    append_packet(s, p);
  }
  return Bytes(s.begin(), s.end());
}

// One random edit of a byte string: flip, overwrite, insert, erase, truncate, duplicate a run.
void mutate(Bytes& b, std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n)(rng); };
  const auto byte = static_cast<std::uint8_t>(pick(255));
  switch (pick(6)) {
    case 0:
      if (!b.empty()) b[pick(b.size() - 1)] ^= static_cast<std::uint8_t>(1u << pick(7));
      break;
    case 1:
      if (!b.empty()) b[pick(b.size() - 1)] = byte;
      break;
    case 2:
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size())), byte);
      break;
    case 3:
      if (!b.empty()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() - 1)));
      break;
    case 4:
      b.resize(pick(b.size()));
      break;
    case 5:
      // Set a length field's high byte or the count to an extreme.
      if (!b.empty()) b[pick(std::min<std::size_t>(b.size() - 1, 3))] = pick(1) ? 0xFF : 0x00;
      break;
    default:
      if (b.size() >= 2) {
        const std::size_t from = pick(b.size() - 2);
        const std::size_t len = 1 + pick(std::min<std::size_t>(b.size() - from - 1, 16));
        const Bytes run(b.begin() + static_cast<std::ptrdiff_t>(from),
                        b.begin() + static_cast<std::ptrdiff_t>(from + len));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size())), run.begin(), run.end());
      }
      break;
  }
}

TEST(ContainerFuzz, RandomBytes) {
  std::mt19937_64 rng(0xB816ADE);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> size(0, 64);
  int ok = 0;
  for (int i = 0; i < 20'000; ++i) {
    Bytes b(static_cast<std::size_t>(size(rng)));
    // Small counts and small lengths make random successes likely, so both paths are covered.
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng) % (i % 2 ? 256 : 4));
    ok += check_invariants(b) == ContainerError::kNone ? 1 : 0;
    if (HasFailure()) FAIL() << "input #" << i;
  }
  EXPECT_GT(ok, 0);
}

TEST(ContainerFuzz, MutatedValidContainers) {
  std::mt19937_64 rng(0x5EED);
  int counts[5] = {};
  for (int i = 0; i < 30'000; ++i) {
    Bytes b = valid_container(rng);
    ASSERT_EQ(check_invariants(b), ContainerError::kNone) << "unmutated input #" << i;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) mutate(b, rng);
    ++counts[static_cast<int>(check_invariants(b))];
    if (HasFailure()) FAIL() << "input #" << i;
  }
  // Every outcome occurred: the mutations reach every branch of the parser.
  EXPECT_GT(counts[static_cast<int>(ContainerError::kNone)], 0);
  EXPECT_GT(counts[static_cast<int>(ContainerError::kEmpty)], 0);
  EXPECT_GT(counts[static_cast<int>(ContainerError::kTruncated)], 0);
  EXPECT_GT(counts[static_cast<int>(ContainerError::kTrailingBytes)], 0);
  EXPECT_GT(counts[static_cast<int>(ContainerError::kEmptyPacket)], 0);
}

TEST(ContainerFuzz, LargestContainers) {
  std::mt19937_64 rng(255);
  for (int i = 0; i < 50; ++i) {
    std::string s;
    begin_container(s, kMaxContainerPackets);
    const Bytes p(1 + rng() % 300, static_cast<std::uint8_t>(i));
    for (std::size_t k = 0; k < kMaxContainerPackets; ++k) append_packet(s, p);
    const Bytes valid(s.begin(), s.end());
    EXPECT_EQ(check_invariants(valid), ContainerError::kNone);
    Bytes b = valid;
    mutate(b, rng);
    check_invariants(b);
    // A maximal length field (65535) in the middle of a large body.
    b = valid;
    b[1 + (rng() % 200) * (2 + p.size())] = 0xFF;
    EXPECT_NE(check_invariants(b), ContainerError::kNone);
  }
}

}  // namespace
}  // namespace brigade
