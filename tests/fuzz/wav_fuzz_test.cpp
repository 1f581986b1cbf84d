// Fuzz-style test of read_wav: tens of thousands of random and mutated WAV images from fixed
// seeds, through the libFuzzer target's handler (wav_target.cpp): never a read outside the
// input, an error message or finite samples in [-1, 1] of a plausible length.
#include "brigade/storage/wav.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "fuzz_target.hpp"

namespace brigade {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Stats {
  int ok = 0;
  int errors = 0;
};

// Runs the shared handler (fuzz_target.hpp) on a heap copy of exactly the input's size, so
// ASan flags any read past its end.
void check_invariants(const Bytes& input, Stats& stats) {
  const auto heap = std::make_unique<std::uint8_t[]>(input.size() + 1);
  std::copy(input.begin(), input.end(), heap.get());
  const auto outcome = fuzz::wav_input(std::span<const std::uint8_t>(heap.get(), input.size()));
  ++(outcome == fuzz::Outcome::kAccepted ? stats.ok : stats.errors);
}

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

/// A small valid WAV in one of the supported layouts, sometimes with extra chunks.
Bytes valid_wav(std::mt19937_64& rng) {
  struct Layout {
    std::uint16_t tag, bits;
  };
  const Layout layouts[] = {{1, 8}, {1, 16}, {1, 24}, {1, 32}, {3, 32}, {3, 64}};
  const std::uint32_t rates[] = {8'000, 11'025, 22'050, 44'100, 48'000, 96'000, 192'000, 37'123};
  std::uniform_int_distribution<int> pick(0, 1'000'000);
  const Layout l = layouts[pick(rng) % 6];
  const std::uint32_t rate = rates[pick(rng) % 8];
  const auto channels = static_cast<std::uint16_t>(1 + pick(rng) % 3);
  const bool extensible = pick(rng) % 4 == 0;
  const std::uint32_t frames = static_cast<std::uint32_t>(pick(rng) % 200);
  const std::uint32_t align = channels * l.bits / 8u;

  Bytes fmt;
  put16(fmt, extensible ? 0xFFFE : l.tag);
  put16(fmt, channels);
  put32(fmt, rate);
  put32(fmt, rate * align);
  put16(fmt, align);
  put16(fmt, l.bits);
  if (extensible) {
    put16(fmt, 22);
    put16(fmt, l.bits);
    put32(fmt, 0);
    put16(fmt, l.tag);
    const std::uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                   0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    fmt.insert(fmt.end(), tail, tail + 14);
  }
  Bytes data(std::size_t{frames} * align);
  for (auto& b : data) b = static_cast<std::uint8_t>(pick(rng));
  if (l.tag == 3) {  // mostly sensible floats, so successes exercise the float path
    for (std::size_t i = 0; i + l.bits / 8 <= data.size(); i += l.bits / 8) {
      if (l.bits == 32) {
        const float f = static_cast<float>(pick(rng) - 500'000) / 400'000.0f;
        std::memcpy(&data[i], &f, 4);
      } else {
        const double d = static_cast<double>(pick(rng) - 500'000) / 400'000.0;
        std::memcpy(&data[i], &d, 8);
      }
    }
  }

  Bytes b = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'};
  auto chunk = [&](const char* tag, const Bytes& body) {
    b.insert(b.end(), tag, tag + 4);
    put32(b, static_cast<std::uint32_t>(body.size()));
    b.insert(b.end(), body.begin(), body.end());
    if (body.size() % 2 == 1) b.push_back(0);
  };
  if (pick(rng) % 3 == 0) chunk("LIST", Bytes(static_cast<std::size_t>(pick(rng) % 9), 'x'));
  chunk("fmt ", fmt);
  if (pick(rng) % 3 == 0) chunk("fact", Bytes{1, 2, 3, 4});
  chunk("data", data);
  const auto riff = static_cast<std::uint32_t>(b.size() - 8);
  std::memcpy(&b[4], &riff, 4);
  return b;
}

/// One random edit: bit flip, byte overwrite, a 32-bit field set to an interesting value,
/// truncation, insertion or deletion.
void mutate(Bytes& b, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> any(0, 1'000'000);
  const std::uint32_t interesting[] = {0,           1,           2,           0x7FFF'FFFF,
                                       0xFFFF'FFFF, 0x8000'0000, 0xFFFF'FFFE, 48'000,
                                       7'999,       192'001,     0xFFFE,      65'535};
  if (b.empty()) {
    b.push_back(static_cast<std::uint8_t>(any(rng)));
    return;
  }
  // Most edits land in the first 64 bytes, where the headers are.
  const std::size_t at =
      any(rng) % (any(rng) % 4 == 0 ? b.size() : std::min<std::size_t>(b.size(), 64));
  switch (any(rng) % 7) {
    case 0:
      b[at] ^= static_cast<std::uint8_t>(1u << (any(rng) % 8));
      break;
    case 1:
      b[at] = static_cast<std::uint8_t>(any(rng));
      break;
    case 2:
    case 3:
      if (at + 4 <= b.size()) {
        const std::uint32_t v = interesting[any(rng) % std::size(interesting)];
        std::memcpy(&b[at], &v, 4);
      }
      break;
    case 4:
      b.resize(at);
      break;
    case 5:
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(any(rng)));
      break;
    default:
      b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
      break;
  }
}

TEST(WavFuzz, RandomBytesNeverCrash) {
  std::mt19937_64 rng(0x5EED'0001);
  std::uniform_int_distribution<int> len(0, 300);
  std::uniform_int_distribution<int> byte(0, 255);
  Stats stats;
  for (int i = 0; i < 10'000; ++i) {
    Bytes b(static_cast<std::size_t>(len(rng)));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    if (i % 2 == 0 && b.size() >= 12) {  // half get a plausible RIFF/WAVE prefix
      std::memcpy(b.data(), "RIFF", 4);
      std::memcpy(b.data() + 8, "WAVEfmt ", std::min<std::size_t>(8, b.size() - 8));
    }
    check_invariants(b, stats);
  }
  EXPECT_GT(stats.errors, 9'000);
}

TEST(WavFuzz, MutatedValidFilesNeverCrash) {
  std::mt19937_64 rng(0x5EED'0002);
  Stats stats;
  for (int i = 0; i < 10'000; ++i) {
    Bytes b = valid_wav(rng);
    const int edits = static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) mutate(b, rng);
    check_invariants(b, stats);
  }
  // Both outcomes are exercised in bulk: the generator is not trivially broken or rejected.
  EXPECT_GT(stats.ok, 2'500);
  EXPECT_GT(stats.errors, 1'000);
}

TEST(WavFuzz, UnmutatedGeneratedFilesAllParse) {
  std::mt19937_64 rng(0x5EED'0003);
  Stats stats;
  for (int i = 0; i < 500; ++i) check_invariants(valid_wav(rng), stats);
  EXPECT_EQ(stats.ok, 500);
}

}  // namespace
}  // namespace brigade
