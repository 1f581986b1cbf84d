// Fuzz-style test of the request parsers that see raw network bytes, through the libFuzzer
// targets' handlers: Query::parse (query_target.cpp), the whole exchange decode into a room
// (exchange_target.cpp) and the JSON prefix (json_prefix_target.cpp). Deterministic seeds,
// bounded work, run under ASan too.
#include "wire/exchange_request.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "query.hpp"

namespace brigade::server {
namespace {

// Clocks near the fuzz room's fixed "now" (86400000000000), so mutants reach deep into the room.
const std::vector<std::string> kSeeds = {
    "userid=123&read_clock=86399999971200&n_samples=28800&reset_user_state=true&user_summary=1",
    "userid=5&read_clock=86399999997120&write_clock=86399999997120&n_samples=2880&username=Ann+"
    "Lee%20%C3%A9&chat=%5B%22hi%22%5D&reset_user_state=1",
    "userid=9&read_clock=86399999994240&n_samples=2880&reset_user_state=1&mic_volume=%5B%5B%229%22%"
    "2C1.5%5D%5D&event_data=%5B%7B%22evid%22"
    "%3A%22x%22%2C%22clock%22%3A5%7D%5D&bpm=120&repeats=2&bpr=8&volume=1.2&track=a",
    "action=status",
    "a=1&&b=2",
    "userid=1&read_clock=1&read_clock=2",
};

constexpr std::string_view kAlphabet = "=&%+0123456789abcdefABCDEF[]{}\",:.-_ \x00\xff\xc3\xa9";

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 3);
  std::uniform_int_distribution<std::size_t> ch(0, kAlphabet.size() - 1);
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (op(rng)) {
      case 0:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), kAlphabet[ch(rng)]);
        break;
      case 1:
        if (pos < s.size()) s.erase(pos, 1 + rng() % 4);
        break;
      case 2:
        if (pos < s.size()) s[pos] = kAlphabet[ch(rng)];
        break;
      default:
        s += s.substr(pos, rng() % 16);
        break;
    }
  }
  return s;
}

fuzz::Input bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(QueryFuzz, MutatedQueriesParseOrFailCleanly) {
  std::mt19937 rng(20261121);
  int parsed = 0, refused = 0, exchanges = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string input = mutate(kSeeds[static_cast<std::size_t>(i) % kSeeds.size()], rng);
    if (fuzz::query_input(bytes_of(input)) == fuzz::Outcome::kRefused) {
      ++refused;
      continue;
    }
    ++parsed;
    // The same query as a whole exchange without a body: decoded, range-checked, into a room.
    exchanges += fuzz::exchange_input(bytes_of(input)) == fuzz::Outcome::kAccepted ? 1 : 0;
  }
  // The mutations exercise every outcome.
  EXPECT_GT(parsed, 1000);
  EXPECT_GT(refused, 1000);
  EXPECT_GT(exchanges, 100);
}

TEST(QueryFuzz, RandomBytesNeverCrashTheJsonPrefixParser) {
  std::mt19937 rng(7);
  int accepted = 0;
  const std::string seed = R"({"lyrics": "Row, row, row your boat \u00e9"})";
  for (int i = 0; i < 20000; ++i) {
    std::string input = seed;
    const int edits = static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      input[rng() % input.size()] = static_cast<char>(rng() & 0xff);
    }
    accepted += fuzz::json_prefix_input(bytes_of(input)) == fuzz::Outcome::kAccepted ? 1 : 0;
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace brigade::server
