// Fuzz-style test of the request parsers that see raw network bytes: Query::parse and
// parse_exchange / parse_json_prefix. Deterministic seeds, bounded work, run under ASan too.
#include "api_request.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "query.hpp"

namespace brigade::server {
namespace {

const std::vector<std::string> kSeeds = {
    "userid=123&read_clock=86171747901037&n_samples=28800&reset_user_state=true&user_summary=1",
    "userid=5&read_clock=1&write_clock=0&username=Ann+Lee%20%C3%A9&chat=%5B%22hi%22%5D",
    "userid=9&read_clock=2880&mic_volume=%5B%5B%229%22%2C1.5%5D%5D&event_data=%5B%7B%22evid%22"
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

TEST(QueryFuzz, MutatedQueriesParseOrFailCleanly) {
  std::mt19937 rng(20261121);
  Query query;
  ExchangeRequest request;
  int parsed = 0, refused = 0, exchanges = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string input = mutate(kSeeds[static_cast<std::size_t>(i) % kSeeds.size()], rng);
    if (const char* error = query.parse(input)) {
      ASSERT_NE(std::string(error), "");
      ++refused;
      continue;
    }
    ++parsed;
    ASSERT_LE(query.size(), kMaxQueryParams);
    std::size_t json_len = 99;
    if (parse_exchange(query, request, json_len) == nullptr) {
      ++exchanges;
      // Whatever was accepted is within the documented ranges.
      ASSERT_GE(request.n_samples, 0);
      ASSERT_LE(request.n_samples, kMaxExchangeSamples);
      ASSERT_EQ(request.n_samples % kOpusFrameSamples, 0);
      ASSERT_LE(json_len, kMaxJsonPrefixBytes);
      for (const auto& line : request.controls.chat) ASSERT_LE(line.size(), kMaxChatBytes);
      if (request.controls.bpm) {
        ASSERT_LE(*request.controls.bpm, kMaxBpm);
      }
      if (request.controls.volume) {
        ASSERT_LE(*request.controls.volume, kMaxFriendlyVolume);
      }
    }
  }
  // The mutations exercise every outcome.
  EXPECT_GT(parsed, 1000);
  EXPECT_GT(refused, 1000);
  EXPECT_GT(exchanges, 100);
}

TEST(QueryFuzz, RandomBytesNeverCrashTheJsonPrefixParser) {
  std::mt19937 rng(7);
  ExchangeRequest request;
  int accepted = 0;
  const std::string seed = R"({"lyrics": "Row, row, row your boat \u00e9"})";
  for (int i = 0; i < 20000; ++i) {
    std::string input = seed;
    const int edits = static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      input[rng() % input.size()] = static_cast<char>(rng() & 0xff);
    }
    request.controls.lyrics.reset();
    if (parse_json_prefix(input, request) == nullptr) {
      ++accepted;
      if (request.controls.lyrics) {
        ASSERT_LE(request.controls.lyrics->size(), input.size());
      }
    }
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace brigade::server
