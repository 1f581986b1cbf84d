// Integration: the exchange over a WebSocket (GET /api/ws) and the debug stream against the
// real server: a two-singer song heard through the same Goertzel check as over HTTP, every bad
// request of the HTTP test answered with the same status and message (and the socket still
// serving), the WebSocket's own limits (framing, text messages, size, rate), and a client that
// stops reading dropped within the documented time while a singer goes on being served.
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <thread>

#include "client/api_wire.hpp"
#include "client/singer.hpp"
#include "client/tone.hpp"
#include "client/ws_client.hpp"
#include "server_fixture.hpp"

namespace brigade::integration {
namespace {

/// One fixture name per file keeps CTest's test names unique across executables.
using WebSocket = ServerTest;

using client::ExchangeParams;
using client::HttpResponse;

constexpr Clock kChunk = 28'800;  // 600 ms
constexpr Clock kFrame = 2'880;   // one Opus packet
constexpr double kToneHz = 440.0;
constexpr float kToneAmplitude = 0.2f;
/// The server's documented limits (README, Limits): write timeout and message size.
constexpr auto kWriteTimeout = std::chrono::seconds(5);
constexpr std::size_t kMaxMessageBytes = 4 + 16 * 1024 + 1024 * 1024;

Clock past_clock(double seconds) {
  const Clock c = client::local_clock_now() - static_cast<Clock>(seconds * 48'000);
  return c - c % kFrame;
}

client::ErrorReply error_of(const HttpResponse& r) {
  client::ErrorReply e;
  EXPECT_TRUE(client::parse_error_header(r.header("X-Audio-Metadata"), e).ok());
  return e;
}

TEST_F(WebSocket, TwoSingerSongIsHeardByTheNextBucket) {
  constexpr std::uint64_t kLeader = 1111, kFollower = 2222;
  client::WsClient leader_ws("127.0.0.1", server_->port());
  client::WsClient follower_ws("127.0.0.1", server_->port());
  client::Singer leader(leader_ws, kLeader, "Leader");
  client::Singer follower(follower_ws, kFollower, "Follower");
  const Clock now = follower.connect(6.0);  // the clock, as a message with an empty query
  leader.start_at(now - 3 * 48'000 - (now - 3 * 48'000) % kFrame);

  std::map<Clock, float> heard;  // follower: interval start → Goertzel power (per packet)
  auto follow = [&] {
    const auto r = follower.exchange(kChunk);
    EXPECT_TRUE(r.ok()) << r.problem;
    const Clock begin = r.reply.client_read_clock - kChunk;
    for (Clock at = 0; at + kFrame <= static_cast<Clock>(r.pcm.size()); at += kFrame) {
      heard[begin + at] = static_cast<float>(client::goertzel_power(
          std::span<const float>(r.pcm).subspan(static_cast<std::size_t>(at), kFrame), kToneHz));
    }
    return r;
  };
  auto sing = [&](ExchangeParams p = {}) {
    const Clock begin = leader.next_read_clock(kChunk) - kChunk;
    const auto tone = client::sine(kToneHz, kToneAmplitude, kChunk, begin);
    const auto r = leader.exchange(kChunk, &tone, p);
    EXPECT_TRUE(r.ok()) << r.problem;
    return r;
  };
  follow();
  sing();
  ExchangeParams lead;
  lead.request_lead = true;
  const auto led = sing(lead);
  ASSERT_TRUE(led.reply.leader.has_value());
  EXPECT_EQ(*led.reply.leader, std::to_string(kLeader));
  ExchangeParams start;
  start.mark_start_singing = true;
  const Clock song_start = leader.next_read_clock(kChunk);
  EXPECT_EQ(sing(start).reply.song_start_clock, song_start);
  for (int i = 0; i < 5; ++i) sing();
  const Clock song_tone_end = leader.next_read_clock(kChunk) - kChunk;
  const auto told = follow();
  EXPECT_EQ(told.reply.delay_seconds, 6);
  while (follower.next_read_clock(kChunk) <= song_tone_end) follow();

  // Leader boost (≈2) × auto-gain 1 × global volume 1.2, as over HTTP.
  const double expected = std::pow(kToneAmplitude * 1.996 * 1.2, 2) / 4;
  int silent = 0, toned = 0;
  for (const auto& [begin, power] : heard) {
    if (begin + kFrame <= song_start - kFrame) {
      EXPECT_LT(power, expected * 1e-4) << "tone before the song at " << begin - song_start;
      ++silent;
    } else if (begin >= song_start + kFrame && begin + kFrame <= song_tone_end) {
      EXPECT_GT(power, expected * 0.25) << "no tone in the song at " << begin - song_start;
      EXPECT_LT(power, expected * 4) << "tone too loud at " << begin - song_start;
      ++toned;
    }
  }
  EXPECT_GE(silent, 20);
  EXPECT_GE(toned, 40);
}

TEST_F(WebSocket, BadRequestsGetTheSameErrorsAsOverHttpAndTheSocketServesOn) {
  client::OpusPipe codec;
  const auto good_audio = client::build_body("", codec.encode(client::sine(440.0, 0.3f, 5760)));
  const Clock rc = past_clock(5.0);
  const std::string base = "userid=31&n_samples=5760&read_clock=" + std::to_string(rc);
  std::string garbage(1, '\x01');
  client::put_u16(garbage, 3);
  garbage += "\xff\xff\xff";
  std::string empty_packet(1, '\x01');
  client::put_u16(empty_packet, 0);
  struct Case {
    std::string what, query, body;
  };
  // The bad requests of exchange_integration_test, as queries.
  const std::vector<Case> cases = {
      {"empty field", "a=1&&b=2", ""},
      {"field without '='", "userid=31&read_clock", ""},
      {"duplicate parameter", base + "&userid=31", ""},
      {"bad percent escape", base + "&username=%zz", ""},
      {"fractional read_clock", "userid=31&n_samples=5760&read_clock=12.5", ""},
      {"text read_clock", "userid=31&n_samples=5760&read_clock=abc", ""},
      {"fractional write_clock", base + "&write_clock=1.5", good_audio},
      {"no read_clock", "userid=31&n_samples=5760", ""},
      {"non-digit userid", "userid=abc&n_samples=5760&read_clock=" + std::to_string(rc), ""},
      {"negative userid", "userid=-1&n_samples=5760&read_clock=" + std::to_string(rc), ""},
      {"userid beyond 64 bits",
       "userid=99999999999999999999&n_samples=5760&read_clock=" + std::to_string(rc), ""},
      {"no userid nor action", "read_clock=" + std::to_string(rc), ""},
      {"status with userid", "action=status&userid=31", ""},
      {"no audio and no n_samples", "userid=31&read_clock=" + std::to_string(rc), ""},
      {"n_samples off the frame grid", "userid=31&n_samples=1000&read_clock=" + std::to_string(rc),
       ""},
      {"read into the future",
       "userid=31&n_samples=5760&read_clock=" +
           std::to_string(client::local_clock_now() + 10 * 48'000),
       ""},
      {"garbage Opus bytes", base, garbage},
      {"truncated container", base, good_audio.substr(0, good_audio.size() - 1)},
      {"bytes after the container", base, good_audio + "x"},
      {"zero-length packet", base, empty_packet},
      {"n_samples differs from the audio",
       "userid=31&n_samples=2880&read_clock=" + std::to_string(rc), good_audio},
      {"chat not JSON", base + "&chat=%5Boops", ""},
      {"mic_volume wrong shape", base + "&mic_volume=%7B%7D", ""},
      {"bpm not an integer", base + "&bpm=abc", ""},
      {"json_len beyond the body", base + "&json_len=100", "{}"},
      {"JSON prefix not an object", base + "&json_len=2", "[]"},
  };
  client::WsClient ws("127.0.0.1", server_->port());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const HttpResponse over_http = http_->post("/api?" + c.query, c.body);
    const HttpResponse over_ws = ws.exchange(c.query, c.body);
    EXPECT_GE(over_ws.status, 400);
    EXPECT_LT(over_ws.status, 500);
    EXPECT_EQ(over_ws.status, over_http.status);
    const auto e = error_of(over_ws);
    EXPECT_TRUE(e.kill_client);
    EXPECT_FALSE(e.message.empty());
    EXPECT_EQ(e.message, error_of(over_http).message);
    EXPECT_EQ(over_ws.body, over_http.body);
  }
  // The same socket serves a well-formed singer afterwards, and the server serves HTTP.
  client::Singer s(ws, 31, "after");
  s.connect(3.0);
  const auto r = s.exchange(5760);
  EXPECT_TRUE(r.ok()) << r.problem;
  expect_serving();
}

TEST_F(WebSocket, ANamedRoomsSocketSingsInThatRoomOnly) {
  client::WsClient ws("127.0.0.1", server_->port(), {.path = "/r/choir/api/ws"});
  client::Singer s(ws, 61, "InChoir");
  s.connect(3.0);
  ASSERT_TRUE(s.exchange(kChunk).ok());
  // The room's status counts the singer; the default room's does not.
  client::StatusReply in_room, again, in_default;
  const auto r = http_->post("/r/choir/api?action=status", "");
  ASSERT_TRUE(client::parse_status_reply(r.header("X-Audio-Metadata"), r.body, in_room).ok());
  EXPECT_EQ(in_room.n_connected_users, 1);
  const auto d = ws.exchange("action=status", "");  // same socket, same room
  ASSERT_TRUE(client::parse_status_reply(d.header("X-Audio-Metadata"), d.body, again).ok());
  EXPECT_EQ(again.n_connected_users, 1);
  const auto def = http_->post("/api?action=status", "");
  ASSERT_TRUE(
      client::parse_status_reply(def.header("X-Audio-Metadata"), def.body, in_default).ok());
  EXPECT_EQ(in_default.n_connected_users, 0);
  // A bad room name is refused before the upgrade.
  EXPECT_THROW(client::WsClient("127.0.0.1", server_->port(), {.path = "/r/Bad!/api/ws"}),
               client::HttpError);
}

TEST_F(WebSocket, StatusAndClockMessagesAnswerAsOverHttp) {
  client::WsClient ws("127.0.0.1", server_->port());
  const auto status = ws.exchange("action=status", "");
  ASSERT_EQ(status.status, 200);
  client::StatusReply st;
  ASSERT_TRUE(client::parse_status_reply(status.header("X-Audio-Metadata"), status.body, st).ok());
  EXPECT_EQ(st.max_users, kTestMaxUsers);
  const auto clock = ws.exchange("", "");
  ASSERT_EQ(clock.status, 200);
  client::ClockReply c;
  ASSERT_TRUE(client::parse_clock_reply(clock.header("X-Audio-Metadata"), c).ok());
  EXPECT_NEAR(static_cast<double>(c.server_clock), static_cast<double>(client::local_clock_now()),
              48'000.0);
  // Without the upgrade, the path says what it is.
  EXPECT_EQ(http_->get("/api/ws").status, 426);
}

TEST_F(WebSocket, MalformedFramingIsA400AndTheSocketServesOn) {
  client::WsClient ws("127.0.0.1", server_->port());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"shorter than the length", std::string("\x00\x00", 2)},
      {"query length beyond the message", std::string("\x00\x00\x00\x09", 4) + "userid=1"},
      {"query length over 16 KiB", std::string("\x00\x01\x00\x01", 4) + std::string(70000, 'a')},
  };
  for (const auto& [what, bytes] : cases) {
    SCOPED_TRACE(what);
    ws.send(bytes);
    const auto m = ws.read(std::chrono::seconds(10));
    ASSERT_TRUE(m.has_value());
    HttpResponse r;
    ASSERT_TRUE(client::parse_ws_reply(m->data, r));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(error_of(r).kill_client);
  }
  EXPECT_EQ(ws.exchange("", "").status, 200);
}

TEST_F(WebSocket, TextMessagesAreRefusedWithAnErrorThenClosed1003) {
  client::WsClient ws("127.0.0.1", server_->port());
  ws.send("userid=1", /*binary=*/false);
  const auto m = ws.read(std::chrono::seconds(10));
  ASSERT_TRUE(m.has_value());
  HttpResponse r;
  ASSERT_TRUE(client::parse_ws_reply(m->data, r));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(ws.read(std::chrono::seconds(10)).has_value());
  EXPECT_EQ(ws.close_code(), 1003);
  expect_serving();
}

TEST_F(WebSocket, AMessageOverTheSizeLimitClosesWith1009) {
  // In 4 KiB frames: the server reads up to the limit, then closes with 1009. (A single
  // oversized frame is refused at its header while the client still writes it: the reset of
  // the unread rest may overtake the close frame; see the next test.)
  client::WsClient ws("127.0.0.1", server_->port(), {.frame_bytes = 4096});
  std::string big = client::ws_request_message("userid=1", std::string(kMaxMessageBytes, 'x'));
  try {
    ws.send(big);
  } catch (const client::HttpError&) {
    // The server may close before the whole message is written.
  }
  EXPECT_FALSE(ws.read(std::chrono::seconds(10)).has_value());
  EXPECT_EQ(ws.close_code(), 1009);
  expect_serving();
}

TEST_F(WebSocket, AnOversizedSingleFrameEndsTheConnectionAndHarmsNothing) {
  client::WsClient ws("127.0.0.1", server_->port());
  std::string big = client::ws_request_message("userid=1", std::string(kMaxMessageBytes, 'x'));
  try {
    ws.send(big);
  } catch (const client::HttpError&) {
    // The server refused the frame at its header and closed while it was being written.
  }
  EXPECT_FALSE(ws.read(std::chrono::seconds(10)).has_value());
  EXPECT_TRUE(ws.closed());
  const std::uint16_t code = ws.close_code();
  EXPECT_TRUE(code == 0 || code == 1009) << code;  // 0: the reset overtook the close frame
  expect_serving();
}

TEST_F(WebSocket, MessagesBeyondTheRateGet429AndNothingElse) {
  client::WsClient ws("127.0.0.1", server_->port());
  // The burst is 50 messages; 80 sent at once must meet the limit.
  for (int i = 0; i < 80; ++i) ws.send(client::ws_request_message("", ""));
  int ok = 0, limited = 0;
  for (int i = 0; i < 80; ++i) {
    const auto m = ws.read(std::chrono::seconds(10));
    ASSERT_TRUE(m.has_value());
    HttpResponse r;
    ASSERT_TRUE(client::parse_ws_reply(m->data, r));
    if (r.status == 200) ++ok;
    if (r.status == 429) ++limited;
  }
  EXPECT_EQ(ok + limited, 80);
  EXPECT_GE(ok, 50);
  EXPECT_GE(limited, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // 5 tokens come back
  EXPECT_EQ(ws.exchange("", "").status, 200);
}

TEST_F(WebSocket, DebugStreamPushesTheStateAndSeesASingerWrite) {
  client::WsClient stream("127.0.0.1", server_->port(), {.path = "/api/debug/stream"});
  const auto first = stream.read(std::chrono::seconds(5));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->binary);
  const auto state = boost::json::parse(first->data).as_object();
  EXPECT_TRUE(state.contains("server_clock"));
  // A singer joins: a later state lists it. Count the states over one second too (≤ 10 Hz).
  client::Singer s(*http_, 77, "Streamed");
  s.connect(3.0);
  ASSERT_TRUE(s.exchange(kChunk).ok());
  bool seen = false;
  int states = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    const auto m = stream.read(std::chrono::seconds(2));
    ASSERT_TRUE(m.has_value());
    ++states;
    if (m->data.find("Streamed") != std::string::npos) seen = true;
  }
  EXPECT_TRUE(seen);
  EXPECT_LE(states, 12);  // 10 Hz, plus scheduling slack at the window's edges
  EXPECT_GE(states, 3);
}

TEST_F(WebSocket, DebugStreamDeltasCarryTheSingerThatJoins) {
  client::WsClient stream("127.0.0.1", server_->port(),
                          {.path = "/api/debug/stream?compact=1&delta=1"});
  const auto first = stream.read(std::chrono::seconds(5));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(boost::json::parse(first->data).at("format").as_string(), "compact");
  // The singer's row comes in a delta; the deltas after it carry no singer.
  client::Singer s(*http_, 78, "Delta");
  s.connect(3.0);
  ASSERT_TRUE(s.exchange(kChunk).ok());
  int deltas = 0;
  int rows = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    const auto m = stream.read(std::chrono::seconds(2));
    ASSERT_TRUE(m.has_value());
    const auto o = boost::json::parse(m->data).as_object();
    ASSERT_EQ(o.at("format").as_string(), "delta");
    ++deltas;
    for (const auto& row : o.at("singers").as_array()) {
      EXPECT_EQ(row.as_array()[1].as_string(), "Delta");
      ++rows;
    }
    EXPECT_TRUE(o.at("gone").as_array().empty());
  }
  EXPECT_GE(deltas, 3);
  // Its row came with its connecting exchange and its upload (each moves its windows), and not
  // in the deltas after: nothing of it moved since (its since_last_s stays under a second).
  EXPECT_GE(rows, 1);
  EXPECT_LE(rows, 2);
  EXPECT_GE(deltas - rows, 3);
}

TEST_F(WebSocket, DebugStreamViewersShareTheRoomsChainOfDeltas) {
  // Two viewers: after its whole first state each gets the same links (the same server_clock,
  // byte for byte the same delta), built once for both.
  client::WsClient a("127.0.0.1", server_->port(), {.path = "/api/debug/stream?delta=1"});
  client::WsClient b("127.0.0.1", server_->port(), {.path = "/api/debug/stream?delta=1"});
  std::map<long long, std::string> seen_a;
  std::map<long long, std::string> seen_b;
  auto take = [](client::WsClient& ws, std::map<long long, std::string>& seen) {
    const auto m = ws.read(std::chrono::seconds(2));
    ASSERT_TRUE(m.has_value());
    const auto o = boost::json::parse(m->data).as_object();
    if (o.at("format").as_string() == "delta")
      seen[o.at("server_clock").to_number<long long>()] = m->data;
  };
  for (int i = 0; i < 8; ++i) {
    take(a, seen_a);
    take(b, seen_b);
  }
  int shared = 0;
  for (const auto& [clock, text] : seen_a) {
    const auto it = seen_b.find(clock);
    if (it == seen_b.end()) continue;
    EXPECT_EQ(it->second, text);
    ++shared;
  }
  EXPECT_GE(shared, 4) << seen_a.size() << " and " << seen_b.size() << " deltas";
}

TEST_F(WebSocket, DebugStreamIsGatedLikeTheDebugStateWhenPrivate) {
  http_.reset();
  server_->stop();
  start_server({"--private", "--operator-token", "look"});
  EXPECT_THROW(client::WsClient("127.0.0.1", server_->port(), {.path = "/api/debug/stream"}),
               client::HttpError);
  client::WsClient ok("127.0.0.1", server_->port(), {.path = "/api/debug/stream?token=look"});
  EXPECT_TRUE(ok.read(std::chrono::seconds(5)).has_value());
}

TEST_F(WebSocket, AClientThatStopsReadingIsDroppedWhileASingerIsServed) {
  // A debug viewer with a tiny receive buffer that never reads: ~8 KB states at 10 Hz fill the
  // server's 64 KiB send buffer within seconds, then a write waits kWriteTimeout.
  client::WsClient stalled("127.0.0.1", server_->port(),
                           {.path = "/api/debug/stream", .receive_buffer_bytes = 4096});
  client::WsClient ws("127.0.0.1", server_->port());
  client::Singer s(ws, 88, "Served");
  s.connect(3.0);
  const auto start = std::chrono::steady_clock::now();
  // The singer is served all along (one exchange per 600 ms, as the page) for 18 s.
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(18)) {
    const auto r = s.exchange(kChunk);
    ASSERT_TRUE(r.ok()) << r.problem;
  }
  // After ~18 s the stalled viewer must be gone: reading now drains what the kernel held and
  // then finds the connection closed (no close frame: the server cut it).
  int drained = 0;
  while (drained < 200 && stalled.read(std::chrono::seconds(3))) ++drained;
  EXPECT_TRUE(stalled.closed());
  EXPECT_LT(drained, 40) << "the server kept writing to a client that did not read";
  (void)kWriteTimeout;
}

}  // namespace
}  // namespace brigade::integration
