// Replays the libFuzzer seed corpora (tests/fuzz/corpus/<target>/) through the shared handlers,
// so every compiler and sanitizer tree runs every target on its seeds and on every reproducer
// a fuzzing run ever found.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

#include "fuzz_target.hpp"

namespace brigade {
namespace {

namespace fs = std::filesystem;

using Handler = std::function<void(fuzz::Input)>;

int replay(const char* target, const Handler& handler) {
  const fs::path dir = fs::path(BRIGADE_FUZZ_CORPUS) / target;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    handler(bytes);
    ++files;
  }
  return files;
}

TEST(CorpusReplay, Query) {
  EXPECT_GT(replay("query", [](fuzz::Input d) { fuzz::query_input(d); }), 0);
}
TEST(CorpusReplay, Exchange) {
  EXPECT_GT(replay("exchange", [](fuzz::Input d) { fuzz::exchange_input(d); }), 0);
}
TEST(CorpusReplay, JsonPrefix) {
  EXPECT_GT(replay("json_prefix", [](fuzz::Input d) { fuzz::json_prefix_input(d); }), 0);
}
TEST(CorpusReplay, Container) {
  EXPECT_GT(replay("container", [](fuzz::Input d) { fuzz::container_input(d); }), 0);
}
TEST(CorpusReplay, Wav) {
  EXPECT_GT(replay("wav", [](fuzz::Input d) { fuzz::wav_input(d); }), 0);
}
TEST(CorpusReplay, WsMessage) {
  EXPECT_GT(replay("ws_message", [](fuzz::Input d) { fuzz::ws_message_input(d); }), 0);
}
TEST(CorpusReplay, Reply) {
  EXPECT_GT(replay("reply", [](fuzz::Input d) { fuzz::reply_input(d); }), 0);
}

}  // namespace
}  // namespace brigade
