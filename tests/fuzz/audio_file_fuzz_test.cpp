// Fuzz-style test of decode_audio_file (libsndfile behind our container sniffing): mutated MP3,
// FLAC, AIFF and WAV images, made here from short tones, with fixed seeds and a bounded
// number of cases. The decoder must never read outside its input or crash, must succeed or give
// an error message, and on success must return finite samples in [-1, 1] of a bounded length.
#include "brigade/storage/audio_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "brigade/constants.hpp"
#include "client/tone.hpp"
#include "support/audio_encode.hpp"

namespace brigade {
namespace {

using client::EncodedFormat;

/// Mutated cases per format: enough to reach the headers and the first frames of each.
constexpr int kCasesPerFormat = 1'000;
/// Longest audio any case may decode to (the seeds are 0.25 s; mutations may lengthen a header's
/// claim but the decode cap holds).
constexpr std::uint32_t kMaxSeconds = 1;

struct Stats {
  int ok = 0;
  int errors = 0;
};

void check(const std::string& input, Stats& stats) {
  // A heap copy of exactly the input's size, so ASan flags any read past its end.
  const auto heap = std::make_unique<std::uint8_t[]>(input.size() + 1);
  std::copy(input.begin(), input.end(), heap.get());
  const auto r =
      decode_audio_file(std::span<const std::uint8_t>(heap.get(), input.size()), kMaxSeconds);
  if (!r) {
    EXPECT_FALSE(r.error().empty());
    ++stats.errors;
    return;
  }
  ++stats.ok;
  EXPECT_LE(r.value().size(), static_cast<std::size_t>(kMaxSeconds) * kSampleRate * 2 + 1);
  for (const float v : r.value()) {
    ASSERT_TRUE(std::isfinite(v));
    ASSERT_LE(std::abs(v), 1.0f);
  }
}

/// Flips bytes, overwrites runs with extreme values, truncates or duplicates a region.
std::string mutate(std::string s, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> at(0, s.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255), kind(0, 4), count(1, 8);
  // Keep the first 4 bytes most of the time so that most cases reach libsndfile.
  auto pos = [&] { return std::max<std::size_t>(at(rng), rng() % 8 == 0 ? 0 : 4); };
  for (int n = count(rng); n > 0; --n) {
    switch (kind(rng)) {
      case 0:
        s[pos() % s.size()] = static_cast<char>(byte(rng));
        break;
      case 1:
        s[pos() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 2: {
        const std::size_t p = pos() % s.size();
        for (std::size_t i = p; i < std::min(s.size(), p + 4); ++i) {
          s[i] = rng() % 2 ? '\xFF' : '\0';
        }
        break;
      }
      case 3:
        s.resize(std::max<std::size_t>(4, pos() % s.size()));
        break;
      case 4: {
        const std::size_t p = pos() % s.size();
        s.insert(p, s.substr(p, std::min<std::size_t>(64, s.size() - p)));
        break;
      }
    }
  }
  return s;
}

void fuzz(EncodedFormat format, int rate, int channels, std::uint64_t seed) {
  const auto mono =
      client::sine(440.0 * kSampleRate / rate, 0.5f, static_cast<std::size_t>(rate / 4));
  std::vector<float> interleaved;
  for (const float v : mono)
    interleaved.insert(interleaved.end(), static_cast<std::size_t>(channels), v);
  const std::string seed_file = client::encode_audio(interleaved, rate, channels, format);
  Stats stats;
  check(seed_file, stats);
  ASSERT_EQ(stats.ok, 1) << "the unmutated seed must decode";
  std::mt19937_64 rng(seed);
  for (int i = 0; i < kCasesPerFormat; ++i) {
    check(mutate(seed_file, rng), stats);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Both outcomes happen: the mutations neither all miss nor all break the decoder's input.
  EXPECT_GT(stats.errors, 0);
  EXPECT_GT(stats.ok, 1);
}

TEST(AudioFileFuzz, MutatedMp3) {
  fuzz(EncodedFormat::kMp3, 44'100, 2, 1);
}
TEST(AudioFileFuzz, MutatedFlac) {
  fuzz(EncodedFormat::kFlac, kSampleRate, 1, 2);
}
// (Ogg Vorbis is refused before libsndfile: under LSan this test found libsndfile 1.2.0 with
// libvorbis leaking ~6 KB on every malformed Ogg Vorbis file it failed to open.)
TEST(AudioFileFuzz, MutatedAiff) {
  fuzz(EncodedFormat::kAiff16, 22'050, 1, 3);
}
TEST(AudioFileFuzz, MutatedWav) {
  fuzz(EncodedFormat::kWav16, 32'000, 2, 4);
}

}  // namespace
}  // namespace brigade
