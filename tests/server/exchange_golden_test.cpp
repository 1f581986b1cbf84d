// The golden exchange: a fixed sequence of requests (two singers, a loopback, refusals, status)
// on a room whose clock the test sets, answered through the Beast-free Router, and every reply
// compared byte for byte with tests/server/golden/exchange_replies.golden: status, headers, the
// metadata JSON text, the user summary bytes and the Opus container bytes. The file was recorded
// from the server before the exchange core was rewritten; the wire format must not move.
//
// The Opus bytes are those of Debian 12's libopus (the project's one platform); another libopus
// build may encode differently, and then only the container lines differ.
// Re-record (only for an intended wire change, reviewed in the diff):
//   BRIGADE_GOLDEN_RECORD=1 build/release/tests/server/exchange_golden_test
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/codec/packet_container.hpp"
#include "brigade/engine/clock.hpp"
#include "brigade/engine/room.hpp"
#include "client/tone.hpp"
#include "router.hpp"
#include "wire/user_summary.hpp"

namespace brigade::server {
namespace {

/// A server clock on the 60 ms grid (so the shared-encoder path is taken by aligned reads).
constexpr Clock kT0 = Clock{30'000'000'000} * kOpusFrameSamples;
constexpr Clock kN = 10 * kOpusFrameSamples;  // 600 ms, what the page sends
constexpr Clock kDelay = 3 * kSampleRate;
constexpr const char* kAdminToken = "golden-admin-token";

/// `seconds` of a tone starting at `start`, as the API's Opus container.
std::string opus_body(double freq_hz, Clock start, std::string_view json_prefix = {}) {
  const std::vector<float> pcm = client::sine(freq_hz, 0.4f, static_cast<std::size_t>(kN), start);
  codec::Encoder encoder;
  std::string body(json_prefix);
  begin_container(body, static_cast<std::size_t>(kN / kOpusFrameSamples));
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
  for (Clock at = 0; at < kN; at += kOpusFrameSamples) {
    const int n =
        encoder.encode(std::span(pcm).subspan(static_cast<std::size_t>(at),
                                              static_cast<std::size_t>(kOpusFrameSamples)),
                       packet);
    EXPECT_GT(n, 0);
    append_packet(body, std::span(packet).first(static_cast<std::size_t>(n)));
  }
  return body;
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

/// Printable ASCII as is, everything else as \xNN: one line per text.
std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x" + hex(std::string_view(&c, 1));
    }
  }
  return out;
}

/// Session tokens are random: the value is masked (its length, and so metadata_len, is fixed).
std::string mask_session_token(std::string text) {
  constexpr std::string_view kKey = "\"session_token\": \"";
  const std::size_t at = text.find(kKey);
  if (at == std::string::npos) return text;
  const std::size_t begin = at + kKey.size();
  const std::size_t end = text.find('"', begin);
  return text.replace(begin, end - begin, std::string(end - begin, '*'));
}

/// One reply written out: the exchange body split into metadata, summary and container.
std::string describe(std::string_view label, std::string_view target, const ApiResponse& r) {
  std::ostringstream out;
  out << "### " << label << "\n";
  out << "request: POST " << target << "\n";
  out << "status: " << r.status << "\n";
  out << "content-type: " << r.content_type << "\n";
  out << "x-audio-metadata: " << escaped(r.audio_metadata) << "\n";
  out << "cors: " << r.cors << "\n";
  for (const auto& [name, value] : r.headers) out << "header: " << name << ": " << value << "\n";
  constexpr std::string_view kLen = "{\"metadata_len\": ";
  std::size_t metadata_len = 0;
  if (r.audio_metadata.starts_with(kLen)) {
    metadata_len = std::stoul(r.audio_metadata.substr(kLen.size()));
  }
  if (r.status != 200 || metadata_len >= r.body.size()) {
    out << "body: " << escaped(r.body) << "\n";
    return out.str();
  }
  const std::string_view body = r.body;
  out << "metadata: " << escaped(mask_session_token(std::string(body.substr(0, metadata_len))))
      << "\n";
  const std::string_view rest = body.substr(metadata_len);
  const std::size_t count = (static_cast<std::size_t>(static_cast<unsigned char>(rest[0])) << 8) |
                            static_cast<unsigned char>(rest[1]);
  const std::size_t summary_bytes = 2 + count * wire::kSummaryRecordBytes;
  out << "summary: " << hex(rest.substr(0, summary_bytes)) << "\n";
  out << "container: " << hex(rest.substr(summary_bytes)) << "\n";
  return out.str();
}

std::string clock_text(Clock c) {
  return std::to_string(c);
}

RequestExtras admin_header() {
  RequestExtras extras;
  extras.admin_token = kAdminToken;
  return extras;
}

class GoldenExchange : public ::testing::Test {
 protected:
  GoldenExchange() {
    RouterConfig config;
    config.web_root = std::filesystem::temp_directory_path();
    config.version = "golden";
    config.exchange.admin_token = kAdminToken;
    config.exchange.instance_name = "golden room";
    router = std::make_unique<Router>(room, nullptr, nullptr, config);
  }

  /// Sends one request and appends its description to `transcript`.
  void post(std::string_view label, const std::string& query, const std::string& body = {},
            RequestExtras extras = {}) {
    const std::string target = "/api?" + query;
    const ApiResponse r = router->handle("POST", target, body, extras);
    transcript += describe(label, target, r);
  }

  ManualSampleClock clock{kT0};
  Room room{clock, RoomConfig{.max_users = 3, .seed = 7, .operators_exist = true}};
  std::unique_ptr<Router> router;
  std::string transcript;
};

TEST_F(GoldenExchange, RepliesAreByteIdenticalToTheRecordedOnes) {
  const Clock alice_read = kT0 - kDelay;          // aligned: a shared encoder stream
  const Clock bob_read = kT0 - 2 * kDelay - 960;  // off the grid: Bob's own encoder
  const std::string alice = "userid=11&username=Alice&user_summary=1&n_samples=" + clock_text(kN);
  const std::string bob = "userid=22&username=B%C3%B6b+%22q%22&user_summary=1";

  // Alice (the operator) starts a song with every control a request can carry.
  const std::string lyrics = R"({"lyrics": "la\tla \u00e9"})";
  post("alice joins and leads",
       alice + "&reset_user_state=1&admin_token=" + kAdminToken +
           "&read_clock=" + clock_text(alice_read) + "&write_clock=" + clock_text(alice_read) +
           "&request_lead=1&mark_start_singing=1&bpm=96&repeats=3&bpr=4&volume=5&backing_volume=0.8"
           "&track=nothing.wav&disableSongVideo=1&chat=%5B%22hello%22%2C%22%C3%A9%5Cn%22%5D"
           "&event_data=%5B%7B%22evid%22%3A%22e1%22%2C%22clock%22%3A123%7D%5D&json_len=" +
           std::to_string(lyrics.size()),
       opus_body(440.0, alice_read, lyrics));
  // Bob joins without audio and off the grid; he receives the queued keys and chat.
  post("bob joins silent", bob + "&reset_user_state=1&read_clock=" + clock_text(bob_read) +
                               "&n_samples=" + clock_text(kN) +
                               "&user_backing_volume=0.73&headphones=0");
  // Bob tries a room-wide control without the admin token, then with it in the header.
  post("bob volume refused", bob + "&read_clock=" + clock_text(bob_read + kN) +
                                 "&n_samples=" + clock_text(kN) + "&volume=1");
  clock.advance(kN);
  post("alice sings on",
       alice + "&read_clock=" + clock_text(alice_read + kN) +
           "&write_clock=" + clock_text(alice_read + kN) + "&admin_token=" + kAdminToken +
           "&mic_volume=%5B%5B%2222%22%2C1.5%5D%5D&json_len=" + std::to_string(lyrics.size()),
       opus_body(440.0, alice_read + kN, lyrics));
  post("bob sings",
       bob + "&read_clock=" + clock_text(bob_read + kN) + "&write_clock=" +
           clock_text(bob_read + kN) + "&user_summary_version=1&backing_volume=1.1" +
           "&chat=%5B%22hi+%5C%22there%5C%22%5Cu0001%22%5D",
       opus_body(660.0, bob_read + kN), admin_header());
  clock.advance(kN);
  post("alice holds the summary already",
       alice + "&read_clock=" + clock_text(alice_read + 2 * kN) + "&user_summary_version=4");
  // Carol hears herself (loopback) and fills the room (max_users 3); Dave is refused.
  post("carol loopback",
       "userid=33&username=Carol&reset_user_state=1&loopback=true&read_clock=" +
           clock_text(kT0 - kDelay + 2 * kN) + "&write_clock=" + clock_text(kT0 - kDelay + 2 * kN),
       opus_body(880.0, kT0 - kDelay + 2 * kN));
  post("dave room full", "userid=44&reset_user_state=1&read_clock=" + clock_text(kT0) +
                             "&n_samples=" + clock_text(kN));
  // Refusals from the parser, the container and the clocks.
  post("bad n_samples", "userid=55&read_clock=1&n_samples=100");
  post("no userid", "read_clock=1&n_samples=2880");
  post("bad json prefix", "userid=55&read_clock=1&json_len=3", "{x}");
  post("bad container", "userid=55&read_clock=1", std::string("\x02\x00\x05", 3));
  post("n_samples differs",
       "userid=11&read_clock=" + clock_text(alice_read + 3 * kN) + "&n_samples=2880",
       opus_body(440.0, alice_read + 3 * kN));
  post("read clock desync",
       "userid=22&read_clock=" + clock_text(bob_read) + "&n_samples=" + clock_text(kN));
  post("status", "action=status");

  const std::string path = BRIGADE_GOLDEN_DIR "/exchange_replies.golden";
  if (std::getenv("BRIGADE_GOLDEN_RECORD")) {
    std::ofstream(path, std::ios::binary) << transcript;
    GTEST_SKIP() << "recorded " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << path;
  std::stringstream golden;
  golden << in.rdbuf();
  // Line by line first, for a readable failure; then the whole text.
  std::istringstream want(golden.str()), got(transcript);
  std::string w, g;
  int line = 0;
  while (std::getline(want, w)) {
    ++line;
    if (!std::getline(got, g)) g = "<missing>";
    EXPECT_EQ(g, w) << "line " << line;
  }
  EXPECT_EQ(transcript, golden.str());
}

}  // namespace
}  // namespace brigade::server
