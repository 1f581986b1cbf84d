// Integration: the audio exchange against the real server: reply layout, clock continuity,
// and refusal of bad requests with a clear error while the server keeps serving.
#include <memory>
#include <string>
#include <vector>

#include "client/api_wire.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server_fixture.hpp"

namespace brigade::integration {
namespace {

/// One fixture name per file keeps CTest's test names unique across executables.
using Exchange = ServerTest;

using client::ExchangeParams;
using client::HttpResponse;
using client::Packet;

constexpr Clock kChunk = 28'800;  // 600 ms, as the browser sends

/// A 4xx whose X-Audio-Metadata says kill_client with a message; returns the message.
std::string expect_clear_error(const HttpResponse& res, const std::string& what) {
  EXPECT_GE(res.status, 400) << what;
  EXPECT_LT(res.status, 500) << what;
  client::ErrorReply err;
  const auto s = client::parse_error_header(res.header("X-Audio-Metadata"), err);
  EXPECT_TRUE(s.ok()) << what << ": " << s.message;
  EXPECT_TRUE(err.kill_client) << what;
  EXPECT_FALSE(err.message.empty()) << what;
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), "*") << what;
  return err.message;
}

/// A read clock safely in the past, on the 60 ms grid.
Clock past_clock(double seconds) {
  const Clock c = client::local_clock_now() - static_cast<Clock>(seconds * 48'000);
  return c - c % 2880;
}

TEST_F(Exchange, FirstExchangeReturnsMetadataSummaryAndWholePackets) {
  client::Singer ann(*http_, 48213377120, "Ann Lee");
  ann.connect(3.0);
  const Clock expected_end = ann.next_read_clock(kChunk);
  ExchangeParams p;
  p.user_summary = true;
  const auto r = ann.exchange(kChunk, nullptr, p);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.http.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.http.header("Access-Control-Expose-Headers"), "X-Audio-Metadata");
  EXPECT_EQ(r.reply.client_read_clock, expected_end);
  EXPECT_EQ(r.reply.n_samples, kChunk);
  EXPECT_TRUE(r.reply.metadata.at("client_write_clock").is_null());
  EXPECT_EQ(r.reply.metadata.at("server_sample_rate").as_int64(), 48000);
  EXPECT_GE(r.reply.server_clock, expected_end);
  EXPECT_EQ(r.reply.song_start_clock, 0);
  EXPECT_FALSE(r.reply.leader.has_value());
  EXPECT_FALSE(r.reply.metadata.contains("sample_rate"));  // spec §5.5: must never be sent
  EXPECT_EQ(r.reply.first_bucket, 3);                      // queued at user creation

  // The summary lists this singer, its name form-decoded ('+' → space), ~3 s behind.
  ASSERT_EQ(r.reply.summary.size(), 1u);
  EXPECT_EQ(r.reply.summary[0].user_id, 48213377120u);
  EXPECT_EQ(r.reply.summary[0].name, "Ann Lee");
  EXPECT_EQ(r.reply.summary[0].delay_seconds, 3);

  // Exactly n/2880 packets, each decoding to 2880 samples; no song → silence.
  ASSERT_EQ(r.reply.packets.size(), static_cast<std::size_t>(kChunk / 2880));
  client::OpusPipe fresh;
  for (const Packet& packet : r.reply.packets) {
    EXPECT_LE(packet.size(), 3832u);
    EXPECT_EQ(fresh.decode(std::span(&packet, 1)).size(), 2880u);
  }
  EXPECT_LT(client::mean_square(r.pcm), 1e-8);
}

TEST_F(Exchange, SummaryBlockIsPresentButEmptyWhenNotRequested) {
  client::Singer bob(*http_, 7, "Bob");
  bob.connect(3.0);
  const auto r = bob.exchange(5760);
  ASSERT_TRUE(r.ok()) << r.problem;  // parsing needs the 2-byte count before the container
  EXPECT_TRUE(r.reply.summary.empty());
  EXPECT_EQ(r.reply.packets.size(), 2u);
}

TEST_F(Exchange, SummaryIsLeftOutWhileTheClientHoldsItsVersion) {
  client::Singer ann(*http_, 21, "Ann");
  ann.connect(3.0);
  ExchangeParams p;
  p.user_summary = true;
  auto r = ann.exchange(kChunk, nullptr, p);
  ASSERT_TRUE(r.ok()) << r.problem;
  ASSERT_EQ(r.reply.summary.size(), 1u);
  const std::int64_t version = r.reply.metadata.at("user_summary_version").as_int64();
  EXPECT_FALSE(r.reply.metadata.contains("user_summary_unchanged"));

  // Echoing the version: an empty block (the count 0), flagged as unchanged.
  p.extra = {{"user_summary_version", std::to_string(version)}};
  r = ann.exchange(kChunk, nullptr, p);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_TRUE(r.reply.summary.empty());
  EXPECT_TRUE(r.reply.metadata.at("user_summary_unchanged").as_bool());
  EXPECT_EQ(r.reply.metadata.at("user_summary_version").as_int64(), version);
  EXPECT_EQ(r.reply.packets.size(), static_cast<std::size_t>(kChunk / 2880));

  client::Singer bob(*http_, 22, "Bob");
  bob.connect(3.0);
  ASSERT_TRUE(bob.exchange(kChunk).ok());

  // Without user_summary_version (the original client): always the whole summary.
  ExchangeParams whole;
  whole.user_summary = true;
  r = ann.exchange(kChunk, nullptr, whole);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.reply.summary.size(), 2u);

  // A stale version (Bob joined since) gets the whole summary again once Ann's summary budget
  // allows (600 ms after the one just sent: see the next test); till then she keeps hers.
  for (int i = 0; i < 10; ++i) {
    r = ann.exchange(kChunk, nullptr, p);
    ASSERT_TRUE(r.ok()) << r.problem;
    if (!r.reply.summary.empty()) break;
    EXPECT_EQ(r.reply.metadata.at("user_summary_version").as_int64(), version);  // held back
  }
  EXPECT_EQ(r.reply.summary.size(), 2u);
  EXPECT_GT(r.reply.metadata.at("user_summary_version").as_int64(), version);

  // A malformed version is a clear 400.
  p.extra = {{"user_summary_version", "-1"}};
  const auto bad = bob.exchange(kChunk, nullptr, p);
  EXPECT_EQ(bad.http.status, 400);
}

/// The count of brigade_user_summaries_total{…,kind="<kind>"} in a /metrics text (-1: absent).
double summaries_counted(const std::string& text, const std::string& kind) {
  return metric_of_kind(text, "brigade_user_summaries_total", kind);
}

std::int64_t summary_version(const client::SingerReply& r) {
  return r.reply.metadata.at("user_summary_version").as_int64();
}

TEST_F(Exchange, AChangedListingWaitsForTheSingersSummaryBudget) {
  // 60 ms batches in real time: many exchanges within one 600 ms window of the budget.
  constexpr Clock kBatch = 2880;
  // A listing of a few singers is far below 1,200 B, so the wait is the minimum, 600 ms, on the
  // server clock that each reply reports (the clock the server paces by).
  constexpr Clock kWindow = 28'800;
  client::Singer ann(*http_, 41, "Ann");
  ann.connect(0.3);
  ExchangeParams asks;
  asks.user_summary = true;
  auto r = ann.exchange(kBatch, nullptr, asks);
  ASSERT_TRUE(r.ok()) << r.problem;
  ASSERT_EQ(r.reply.summary.size(), 1u);
  std::int64_t held = summary_version(r);
  Clock sent_at = r.reply.server_clock;
  std::size_t listed = 1;
  int deferred = 0;
  std::vector<std::unique_ptr<client::Singer>> joiners;
  // Round by round singers join; Ann, echoing the version she holds, is left without the new
  // listing (an empty block, "unchanged", her old version) until 600 ms after her last summary,
  // then gets it. Bob, who never sends a version, gets the whole summary every time. Rounds
  // repeat only if a busy machine let 600 ms pass before Ann's first ask (nothing to check).
  for (int round = 0; round < 3 && deferred == 0; ++round) {
    for (int k = 0; k < (round == 0 ? 2 : 1); ++k) {
      const auto id = 42 + joiners.size();
      joiners.push_back(std::make_unique<client::Singer>(*http_, id, "J" + std::to_string(id)));
      joiners.back()->connect(3.0);
      ASSERT_TRUE(joiners.back()->exchange(kBatch).ok());
      ++listed;
    }
    client::Singer& bob = *joiners.front();
    const std::int64_t stale = held;
    bool delivered = false;
    for (int i = 0; i < 40 && !delivered; ++i) {
      ExchangeParams holds = asks;
      holds.extra = {{"user_summary_version", std::to_string(held)}};
      r = ann.exchange(kBatch, nullptr, holds);
      ASSERT_TRUE(r.ok()) << r.problem;
      if (r.reply.server_clock - sent_at < kWindow) {
        EXPECT_TRUE(r.reply.summary.empty()) << "round " << round << ", exchange " << i;
        EXPECT_TRUE(r.reply.metadata.at("user_summary_unchanged").as_bool());
        EXPECT_EQ(summary_version(r), held);
        ++deferred;
      } else {
        EXPECT_EQ(r.reply.summary.size(), listed) << "round " << round << ", exchange " << i;
        EXPECT_GT(summary_version(r), held);
        EXPECT_FALSE(r.reply.metadata.contains("user_summary_unchanged"));
        held = summary_version(r);
        sent_at = r.reply.server_clock;
        delivered = true;
      }
      // Meanwhile the changed listing is there for anyone who asks without a version.
      const auto b = bob.exchange(kBatch, nullptr, asks);
      ASSERT_TRUE(b.ok()) << b.problem;
      EXPECT_EQ(b.reply.summary.size(), listed);
      EXPECT_GT(summary_version(b), stale);
    }
    ASSERT_TRUE(delivered) << "round " << round << ": no summary within 40 exchanges";
  }
  EXPECT_GE(deferred, 1) << "every ask came 600 ms after the previous summary";
  // /metrics counts each deferred summary as left out, apart from the unchanged ones.
  const auto metrics = http_->get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(summaries_counted(metrics.body, "deferred"), deferred) << metrics.body;
  EXPECT_GE(summaries_counted(metrics.body, "sent"), 2.0);
}

TEST_F(Exchange, ContinuousExchangesWithUploadsSucceed) {
  client::Singer ann(*http_, 11, "Ann");
  ann.connect(3.0);
  for (int i = 0; i < 4; ++i) {
    const auto tone = client::sine(440.0, 0.3f, kChunk, ann.next_read_clock(kChunk) - kChunk);
    const Clock end = ann.next_read_clock(kChunk);
    const auto r = ann.exchange(kChunk, &tone);
    ASSERT_TRUE(r.ok()) << "exchange " << i << ": " << r.problem;
    EXPECT_EQ(r.reply.metadata.at("client_write_clock").as_int64(), end);
    // Writes outside a song are dropped: the room stays silent.
    EXPECT_LT(client::goertzel_power(r.pcm, 440.0), 1e-8) << "exchange " << i;
  }
}

TEST_F(Exchange, ReadClockDesyncIsRefusedAndTheSingerCanRecover) {
  const Clock start = past_clock(5.0);
  ExchangeParams p;
  p.userid = 21;
  p.read_clock = start;
  p.n_samples = kChunk;
  p.reset_user_state = true;
  ASSERT_EQ(http_->post(client::exchange_target(p), "").status, 200);

  // Skipping ahead by one frame breaks continuity.
  p.reset_user_state = false;
  p.read_clock = start + kChunk + 2880;
  const std::string msg = expect_clear_error(http_->post(client::exchange_target(p), ""), "skip");
  EXPECT_NE(msg.find("read clock"), std::string::npos) << msg;
  // Repeating the previous interval breaks it too.
  p.read_clock = start;
  expect_clear_error(http_->post(client::exchange_target(p), ""), "repeat");

  // The refused requests changed nothing: the true continuation is accepted.
  p.read_clock = start + kChunk;
  const auto ok = http_->post(client::exchange_target(p), "");
  ASSERT_EQ(ok.status, 200) << ok.body;
  // And a reconnect (reset_user_state) may start anywhere.
  p.read_clock = start + 3 * kChunk + 2880;
  p.reset_user_state = true;
  EXPECT_EQ(http_->post(client::exchange_target(p), "").status, 200);
  expect_serving();
}

TEST_F(Exchange, WriteClockDesyncIsRefused) {
  client::OpusPipe codec;
  const auto packets = codec.encode(client::sine(440.0, 0.3f, kChunk));
  const std::string body = client::build_body("", packets);
  const Clock start = past_clock(5.0);
  ExchangeParams p;
  p.userid = 22;
  p.read_clock = start;
  p.write_clock = start - 48'000;
  p.n_samples = kChunk;
  p.reset_user_state = true;
  ASSERT_EQ(http_->post(client::exchange_target(p), body).status, 200);
  p.reset_user_state = false;
  p.read_clock = start + kChunk;
  p.write_clock = start - 48'000 + 2 * kChunk;  // reads continue, writes skip one chunk
  const std::string msg =
      expect_clear_error(http_->post(client::exchange_target(p), body), "write desync");
  EXPECT_NE(msg.find("write clock"), std::string::npos) << msg;
  expect_serving();
}

TEST_F(Exchange, BadRequestsGetClearErrorsAndTheServerKeepsServing) {
  client::OpusPipe codec;
  const auto good_packets = codec.encode(client::sine(440.0, 0.3f, 2 * 2880));
  const std::string good_audio = client::build_body("", good_packets);
  const Clock rc = past_clock(5.0);
  const std::string base = "/api?userid=31&n_samples=5760&read_clock=" + std::to_string(rc);

  std::string truncated = good_audio.substr(0, good_audio.size() - 1);
  std::string trailing = good_audio + "x";
  std::string garbage;
  garbage.push_back(1);
  client::put_u16(garbage, 3);
  garbage += "\xff\xff\xff";
  std::string empty_packet;
  empty_packet.push_back(1);
  client::put_u16(empty_packet, 0);

  struct Case {
    std::string what, target, body;
  };
  const std::vector<Case> cases = {
      {"empty field", "/api?a=1&&b=2", ""},
      {"field without '='", "/api?userid=31&read_clock", ""},
      {"duplicate parameter", base + "&userid=31", ""},
      {"bad percent escape", base + "&username=%zz", ""},
      {"fractional read_clock", "/api?userid=31&n_samples=5760&read_clock=12.5", ""},
      {"text read_clock", "/api?userid=31&n_samples=5760&read_clock=abc", ""},
      {"fractional write_clock", base + "&write_clock=1.5", good_audio},
      {"no read_clock", "/api?userid=31&n_samples=5760", ""},
      {"non-digit userid", "/api?userid=abc&n_samples=5760&read_clock=" + std::to_string(rc), ""},
      {"negative userid", "/api?userid=-1&n_samples=5760&read_clock=" + std::to_string(rc), ""},
      {"userid beyond 64 bits",
       "/api?userid=99999999999999999999&n_samples=5760&read_clock=" + std::to_string(rc), ""},
      {"no userid nor action", "/api?read_clock=" + std::to_string(rc), ""},
      {"status with userid", "/api?action=status&userid=31", ""},
      {"no audio and no n_samples", "/api?userid=31&read_clock=" + std::to_string(rc), ""},
      {"n_samples off the frame grid",
       "/api?userid=31&n_samples=1000&read_clock=" + std::to_string(rc), ""},
      {"read into the future",
       "/api?userid=31&n_samples=5760&read_clock=" +
           std::to_string(client::local_clock_now() + 10 * 48'000),
       ""},
      {"garbage Opus bytes", base, garbage},
      {"truncated container", base, truncated},
      {"bytes after the container", base, trailing},
      {"zero-length packet", base, empty_packet},
      {"n_samples differs from the audio",
       "/api?userid=31&n_samples=2880&read_clock=" + std::to_string(rc), good_audio},
      {"chat not JSON", base + "&chat=%5Boops", ""},
      {"mic_volume wrong shape", base + "&mic_volume=%7B%7D", ""},
      {"bpm not an integer", base + "&bpm=abc", ""},
      {"json_len beyond the body", base + "&json_len=100", "{}"},
      {"JSON prefix not an object", base + "&json_len=2", "[]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    expect_clear_error(http_->post(c.target, c.body), c.what);
    expect_serving();
  }
  // The same singer, with a well-formed request, is served normally afterwards.
  client::Singer s(*http_, 31, "after");
  s.connect(3.0);
  const auto r = s.exchange(5760, nullptr);
  EXPECT_TRUE(r.ok()) << r.problem;
}

TEST_F(Exchange, ChatReachesOtherSingersFormDecoded) {
  client::Singer ann(*http_, 41, "Ann");
  client::Singer bob(*http_, 42, "Bob");
  ann.connect(3.0);
  bob.connect(6.0);
  ASSERT_TRUE(ann.exchange(2880).ok());
  ASSERT_TRUE(bob.exchange(2880).ok());
  ExchangeParams p;
  p.chat_json = R"(["hi & bye + \"quotes\" é"])";
  ASSERT_TRUE(ann.exchange(2880, nullptr, p).ok());
  const auto r = bob.exchange(2880);
  ASSERT_TRUE(r.ok()) << r.problem;
  const auto& chats = r.reply.metadata.at("chats").as_array();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0].as_array().at(0).as_string(), "Ann");
  EXPECT_EQ(chats[0].as_array().at(1).as_string(), "hi & bye + \"quotes\" é");
  // Delivered once.
  const auto again = bob.exchange(2880);
  ASSERT_TRUE(again.ok()) << again.problem;
  EXPECT_TRUE(again.reply.metadata.at("chats").as_array().empty());
}

TEST_F(Exchange, RoomRefusesSingersBeyondMaxUsers) {
  for (int i = 0; i < kTestMaxUsers; ++i) {
    client::Singer s(*http_, 100 + static_cast<std::uint64_t>(i), "s" + std::to_string(i));
    s.connect(3.0);
    ASSERT_TRUE(s.exchange(2880).ok()) << "singer " << i;
  }
  client::Singer late(*http_, 999, "late");
  late.connect(3.0);
  const auto r = late.exchange(2880);
  EXPECT_EQ(r.http.status, 503);
  EXPECT_TRUE(r.error.kill_client);
  EXPECT_FALSE(r.error.message.empty());
}

}  // namespace
}  // namespace brigade::integration
