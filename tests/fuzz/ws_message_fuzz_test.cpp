// Fuzz-style test of the WebSocket message framing through the libFuzzer target's handler
// (ws_message_target.cpp): random bytes and mutated valid messages from fixed seeds.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "ws_message.hpp"

namespace brigade {
namespace {

using Bytes = std::vector<std::uint8_t>;

// On a heap copy of exactly the input's size, so ASan flags any read past its end.
fuzz::Outcome check(const Bytes& input) {
  const auto heap = std::make_unique<std::uint8_t[]>(input.size() + (input.empty() ? 1 : 0));
  std::copy(input.begin(), input.end(), heap.get());
  return fuzz::ws_message_input(std::span<const std::uint8_t>(heap.get(), input.size()));
}

TEST(WsMessageFuzz, RandomBytes) {
  std::mt19937_64 rng(0x3E5);
  int accepted = 0;
  for (int i = 0; i < 20'000; ++i) {
    Bytes b(rng() % 48);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    // Small length prefixes half of the time, so the accepted path is reached too.
    if (i % 2 && b.size() >= 4) {
      b[0] = b[1] = b[2] = 0;
      b[3] %= 16;
    }
    accepted += check(b) == fuzz::Outcome::kAccepted ? 1 : 0;
    if (HasFailure()) FAIL() << "input #" << i;
  }
  EXPECT_GT(accepted, 1000);
}

TEST(WsMessageFuzz, MutatedValidMessages) {
  std::mt19937_64 rng(0xF4A);
  int outcomes[2] = {};
  for (int i = 0; i < 20'000; ++i) {
    const std::string query = "userid=" + std::to_string(rng() % 1000) + "&read_clock=1";
    const std::string body(rng() % 600, static_cast<char>(rng()));
    const std::string m = server::encode_ws_request(query, body);
    Bytes b(m.begin(), m.end());
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
      if (b.empty()) break;
      switch (rng() % 4) {
        case 0:
          b[rng() % std::min<std::size_t>(b.size(), 4)] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          b.resize(rng() % (b.size() + 1));
          break;
        case 2:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng() % b.size()),
                   static_cast<std::uint8_t>(rng()));
          break;
        default:
          break;  // unmutated: must be accepted unless the body is over the fuzz limit
      }
    }
    ++outcomes[static_cast<int>(check(b))];
    if (HasFailure()) FAIL() << "input #" << i;
  }
  EXPECT_GT(outcomes[static_cast<int>(fuzz::Outcome::kAccepted)], 0);
  EXPECT_GT(outcomes[static_cast<int>(fuzz::Outcome::kRefused)], 0);
}

// Found by libFuzzer: a userid with a leading zero is the number both the push scan and the
// exchange's query parser read ("035" is 35), not a mismatch.
TEST(WsMessageFuzz, AUseridWithLeadingZerosIsAccepted) {
  const std::string m = server::encode_ws_request(
      "userid=035&read_clock=86399999971200&n_samples=28800&reset_user_state=true", "");
  EXPECT_EQ(check(Bytes(m.begin(), m.end())), fuzz::Outcome::kAccepted);
}

}  // namespace
}  // namespace brigade
