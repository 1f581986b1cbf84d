// Fuzz-style test of the reply encoders (user summary, JSON metadata) through the libFuzzer
// target's handler (reply_target.cpp): random byte strings become singers and exchange results,
// are encoded, parsed back by independent parsers and compared.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "fuzz_target.hpp"

namespace brigade {
namespace {

TEST(ReplyFuzz, RandomStatesEncodeAndParseBack) {
  std::mt19937_64 rng(0x5EED'0004);
  std::uniform_int_distribution<int> len(0, 4096);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> b;
  for (int i = 0; i < 3'000; ++i) {
    b.resize(static_cast<std::size_t>(len(rng)));
    // Half the inputs are printable text, so that names, chats and lyrics are mostly UTF-8.
    for (auto& x : b) x = static_cast<std::uint8_t>(i % 2 ? byte(rng) : 32 + byte(rng) % 95);
    EXPECT_EQ(fuzz::reply_input(b), fuzz::Outcome::kAccepted);
  }
}

}  // namespace
}  // namespace brigade
