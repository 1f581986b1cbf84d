// Integration: the WebSocket pushes (GET /api/ws?push=1) against the real server: two singers
// on pushing sockets; when one joins, changes its name or sends a chat line, the other receives
// a push with the change without asking; the replies of a pushing page carry no summary, and
// chat lines arrive once (a line queued before the socket is pushed; once it is gone, the next
// HTTP reply carries the lines); summaries are paced; a socket that does not opt in gets no push.
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "client/singer.hpp"
#include "client/ws_client.hpp"
#include "server_fixture.hpp"

namespace brigade::integration {
namespace {

/// One fixture name per file keeps CTest's test names unique across executables.
using WsPush = ServerTest;

using client::ExchangeParams;

constexpr Clock kChunk = 28'800;  // 600 ms, as the page sends
constexpr auto kPushWait = std::chrono::seconds(5);

/// The first push on `ws` for which `match` holds, within kPushWait (earlier ones are skipped);
/// null when none came.
boost::json::object wait_push(client::WsClient& ws,
                              const std::function<bool(const boost::json::object&)>& match) {
  const auto until = std::chrono::steady_clock::now() + kPushWait;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    const auto text = ws.next_push(left);
    if (!text) return {};
    const auto push = boost::json::parse(*text).as_object();
    if (match(push)) return push;
  }
}

/// A summary push listing a user named `name`.
std::function<bool(const boost::json::object&)> lists(std::string name) {
  return [name](const boost::json::object& p) {
    if (p.at("push") != "summary") return false;
    for (const auto& u : p.at("users").as_array()) {
      if (u.as_array().at(1) == boost::json::string_view(name)) return true;
    }
    return false;
  };
}

/// The value of brigade_ws_pushes_total for `kind` in a /metrics text (-1 when absent).
double pushes_counted(const std::string& text, const std::string& kind) {
  return metric_of_kind(text, "brigade_ws_pushes_total", kind);
}

TEST_F(WsPush, TheOtherSingerIsPushedJoinsRenamesAndChatsWithoutAsking) {
  client::WsClient alto_ws("127.0.0.1", server_->port(), {.path = "/api/ws?push=1"});
  client::WsClient bass_ws("127.0.0.1", server_->port(), {.path = "/api/ws?push=1"});
  client::Singer alto(alto_ws, 1001, "Alto");
  alto.connect(3.0);
  // The page on push asks for no summary: its replies carry none (the 2-byte empty block).
  const auto first = alto.exchange(kChunk);
  ASSERT_TRUE(first.ok()) << first.problem;
  EXPECT_TRUE(first.reply.summary.empty());
  EXPECT_FALSE(first.reply.metadata.contains("user_summary_version"));
  const auto own = wait_push(alto_ws, lists("Alto"));
  ASSERT_FALSE(own.empty()) << "no summary push listing the singer itself";
  const auto v0 = own.at("user_summary_version").as_int64();
  const auto& me = own.at("users").as_array().at(0).as_array();
  EXPECT_EQ(me.at(0), "1001");        // ids as strings, as the replies' "leader"
  EXPECT_EQ(me.at(4).as_int64(), 3);  // delay_seconds
  EXPECT_EQ(me.at(5).as_int64(), 0);  // flags: neither muted nor soloed

  // The bass joins: the alto, sending nothing, is pushed the new listing.
  client::Singer bass(bass_ws, 2002, "Bass");
  bass.connect(4.0);
  ASSERT_TRUE(bass.exchange(kChunk).ok());
  const auto joined = wait_push(alto_ws, lists("Bass"));
  ASSERT_FALSE(joined.empty()) << "the alto was not pushed the bass's arrival";
  EXPECT_GT(joined.at("user_summary_version").as_int64(), v0);

  // The bass changes its name (a reconnect under the new name, as the page does).
  client::Singer renamed(bass_ws, 2002, "Basso profundo");
  renamed.connect(4.0);
  ASSERT_TRUE(renamed.exchange(kChunk).ok());
  ASSERT_FALSE(wait_push(alto_ws, lists("Basso profundo")).empty());

  // A chat line: pushed to the alto, named by its sender, while the alto sends nothing.
  ExchangeParams chat;
  chat.chat_json = R"(["hello from the bass"])";
  ASSERT_TRUE(renamed.exchange(kChunk, nullptr, chat).ok());
  const auto chats =
      wait_push(alto_ws, [](const boost::json::object& p) { return p.at("push") == "chats"; });
  ASSERT_FALSE(chats.empty()) << "the chat line was not pushed";
  const auto& line = chats.at("chats").as_array().at(0).as_array();
  EXPECT_EQ(line.at(0), "Basso profundo");
  EXPECT_EQ(line.at(1), "hello from the bass");
  // Delivered once: the alto's next reply does not carry it again.
  const auto next = alto.exchange(kChunk);
  ASSERT_TRUE(next.ok()) << next.problem;
  EXPECT_TRUE(next.reply.metadata.at("chats").as_array().empty());
  EXPECT_TRUE(next.reply.summary.empty());
  // /metrics counts the pushes (in the default room: room="default").
  const auto metrics = http_->get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_GE(pushes_counted(metrics.body, "chats"), 1.0) << metrics.body;
  EXPECT_GE(pushes_counted(metrics.body, "summary"), 3.0);
}

TEST_F(WsPush, SummaryPushesArePacedWhileLevelsChange) {
  // Three singers in real time, 200 ms apart: the room rebuilds its listing (new levels) about
  // every 200 ms, but levels alone are pushed at most every 600 ms (kWsLevelsMinInterval).
  const auto start = std::chrono::steady_clock::now();
  client::WsClient watcher("127.0.0.1", server_->port(), {.path = "/api/ws?push=1"});
  client::Singer a(*http_, 3001, "One"), b(*http_, 3002, "Two"), c(*http_, 3003, "Three");
  a.connect(1.0);
  b.connect(1.2);
  c.connect(1.4);
  for (int i = 0; i < 8; ++i) {
    for (auto* s : {&a, &b, &c}) ASSERT_TRUE(s->exchange(kChunk).ok());
  }
  int summaries = 0;
  for (const auto& text : watcher.take_pushes()) {
    if (boost::json::parse(text).as_object().at("push") == "summary") ++summaries;
  }
  while (const auto text = watcher.next_push(std::chrono::milliseconds(700))) {
    if (boost::json::parse(*text).as_object().at("push") == "summary") ++summaries;
    if (summaries > 100) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 2.5);  // the singers did sing in real time
  EXPECT_GE(summaries, 2);  // the first listing, then the arrivals
  // The first, then at most one push per 600 ms (changes and levels alike), and slack.
  EXPECT_LE(summaries, 4 + static_cast<int>(seconds / 0.6) + 1)
      << summaries << " summaries in " << seconds << " s";
}

TEST_F(WsPush, ASocketThatDoesNotOptInGetsRepliesOnly) {
  client::WsClient plain("127.0.0.1", server_->port());
  client::WsClient other("127.0.0.1", server_->port());
  client::Singer a(plain, 4004, "Plain");
  client::Singer b(other, 5005, "Chatty");
  a.connect(3.0);
  b.connect(3.0);
  ExchangeParams asks;
  asks.user_summary = true;
  ASSERT_TRUE(a.exchange(kChunk, nullptr, asks).ok());
  ExchangeParams chat;
  chat.chat_json = R"(["over the reply"])";
  ASSERT_TRUE(b.exchange(kChunk, nullptr, chat).ok());
  // As before pushes existed: the summary and the chat line come in the replies.
  const auto r = a.exchange(kChunk, nullptr, asks);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.reply.summary.size(), 2u);
  EXPECT_EQ(r.reply.metadata.at("chats").as_array().size(), 1u);
  EXPECT_TRUE(plain.take_pushes().empty());
}

TEST_F(WsPush, ALineWaitingBeforeTheSocketIsPushedAndOneAfterItGoesByTheNextHttpReply) {
  client::WsClient bass_ws("127.0.0.1", server_->port());
  client::Singer bass(bass_ws, 2002, "Bass");
  bass.connect(4.0);
  ASSERT_TRUE(bass.exchange(kChunk).ok());
  client::Singer alto_http(*http_, 1001, "Alto");
  alto_http.connect(3.0);
  ASSERT_TRUE(alto_http.exchange(kChunk).ok());
  ExchangeParams chat;
  chat.chat_json = R"(["before the socket"])";
  ASSERT_TRUE(bass.exchange(kChunk, nullptr, chat).ok());
  auto only_line = [](const boost::json::array& chats) {
    return chats.size() == 1 ? std::string(chats.at(0).as_array().at(1).as_string()) : "";
  };
  {
    // The alto moves to a pushing socket: its replies there leave the queued line to the push.
    client::WsClient alto_ws("127.0.0.1", server_->port(), {.path = "/api/ws?push=1"});
    client::Singer alto(alto_ws, 1001, "Alto");
    alto.connect(3.0);
    const auto r = alto.exchange(kChunk);
    ASSERT_TRUE(r.ok()) << r.problem;
    EXPECT_TRUE(r.reply.metadata.at("chats").as_array().empty());
    const auto pushed =
        wait_push(alto_ws, [](const boost::json::object& p) { return p.at("push") == "chats"; });
    ASSERT_FALSE(pushed.empty()) << "the line queued before the socket was not pushed";
    EXPECT_EQ(only_line(pushed.at("chats").as_array()), "before the socket");
  }
  // The socket went away: a line sent now reaches the alto in its next HTTP reply, at once.
  chat.chat_json = R"(["after the socket"])";
  ASSERT_TRUE(bass.exchange(kChunk, nullptr, chat).ok());
  client::Singer alto_again(*http_, 1001, "Alto");
  alto_again.connect(3.0);
  const auto r = alto_again.exchange(kChunk);
  ASSERT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(only_line(r.reply.metadata.at("chats").as_array()), "after the socket");
}

}  // namespace
}  // namespace brigade::integration
