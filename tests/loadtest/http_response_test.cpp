// The load tester's HTTP client reads any valid HTTP/1.x response: Content-Length (kept
// alive), chunked, close-delimited, HTTP/1.0; a refused connection is a connect failure. A
// canned server on an ephemeral loopback port answers each request with fixed bytes.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <string>
#include <thread>
#include <vector>

#include "http_pool.hpp"

namespace brigade::loadtest {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Serves `replies` in order, one per request; closes the connection after a reply when asked.
struct CannedServer {
  struct Reply {
    std::string bytes;
    bool close_after = false;
  };
  explicit CannedServer(std::vector<Reply> replies)
      : acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        thread([this, r = std::move(replies)] { serve(r); }) {}
  ~CannedServer() { thread.join(); }

  void serve(const std::vector<Reply>& replies) {
    std::size_t next = 0;
    while (next < replies.size()) {
      tcp::socket s(io);
      acceptor.accept(s);
      std::string in;
      while (next < replies.size()) {
        boost::system::error_code ec;
        const std::size_t n = net::read_until(s, net::dynamic_buffer(in), "\r\n\r\n", ec);
        if (ec) break;
        in.erase(0, n);
        net::write(s, net::buffer(replies[next].bytes));
        if (replies[next++].close_after) break;
      }
    }
  }

  net::io_context io;
  tcp::acceptor acceptor;
  std::thread thread;
};

struct Got {
  Failure failure = Failure::kNone;
  int status = 0;
  std::string metadata, body;
};

/// Sends `count` GETs one after another through a one-connection pool.
std::vector<Got> fetch(tcp::endpoint at, int count, std::uint64_t* opened = nullptr) {
  net::io_context io;
  HttpPool pool(io, at, "127.0.0.1", 1, std::chrono::milliseconds(5'000));
  std::vector<Got> got;
  std::function<void()> send = [&] {
    pool.submit(HttpRequest{false, "/api", {}}, [&](const HttpResult& r) {
      got.push_back(Got{r.failure, r.status, std::string(r.x_audio_metadata), std::string(r.body)});
      if (static_cast<int>(got.size()) < count) send();
    });
  };
  send();
  io.run();
  if (opened) *opened = pool.connections_opened();
  return got;
}

TEST(HttpResponse, ContentLengthKeepAliveReusesTheConnection) {
  const std::string reply =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Audio-Metadata: {\"metadata_len\": "
      "0}\r\n\r\nhello";
  CannedServer server({{reply}, {reply, true}});
  std::uint64_t opened = 0;
  const auto got = fetch(server.acceptor.local_endpoint(), 2, &opened);
  ASSERT_EQ(got.size(), 2u);
  for (const auto& g : got) {
    EXPECT_EQ(g.failure, Failure::kNone);
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "hello");
    EXPECT_EQ(g.metadata, "{\"metadata_len\": 0}");
  }
  EXPECT_EQ(opened, 1u);
}

TEST(HttpResponse, ChunkedBody) {
  CannedServer server(
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        true}});
  const auto got = fetch(server.acceptor.local_endpoint(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kNone);
  EXPECT_EQ(got[0].body, "hello world");
}

TEST(HttpResponse, CloseDelimitedBodyThenANewConnection) {
  // No Content-Length: the body ends where the server closes (as uWSGI may answer).
  const std::string reply = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end";
  CannedServer server({{reply, true}, {reply, true}});
  std::uint64_t opened = 0;
  const auto got = fetch(server.acceptor.local_endpoint(), 2, &opened);
  ASSERT_EQ(got.size(), 2u);
  for (const auto& g : got) {
    EXPECT_EQ(g.failure, Failure::kNone);
    EXPECT_EQ(g.body, "until the end");
  }
  EXPECT_EQ(opened, 2u);
}

TEST(HttpResponse, Http10) {
  CannedServer server({{"HTTP/1.0 503 Service Unavailable\r\n\r\nfull", true}});
  const auto got = fetch(server.acceptor.local_endpoint(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kNone);
  EXPECT_EQ(got[0].status, 503);
  EXPECT_EQ(got[0].body, "full");
}

TEST(HttpResponse, MalformedResponseIsAFailureNotAStatus) {
  CannedServer server({{"NOT HTTP AT ALL\r\n\r\n", true}});
  const auto got = fetch(server.acceptor.local_endpoint(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].failure, Failure::kNone);
}

TEST(HttpResponse, RefusedConnectionIsAConnectFailure) {
  tcp::endpoint closed;
  {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    closed = a.local_endpoint();
  }  // nobody listens there any more
  const auto got = fetch(closed, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, Failure::kConnect);
}

}  // namespace
}  // namespace brigade::loadtest
