// Integration: the HTTP surface of the real server: clock, status, CORS, static files, methods,
// limits and path safety. Every bad request must get a clear answer and leave the server serving.
#include <fstream>
#include <sstream>

#include "client/api_wire.hpp"
#include "client/singer.hpp"
#include "server_fixture.hpp"

namespace brigade::integration {
namespace {

/// One fixture name per file keeps CTest's test names unique across executables.
using HttpApi = ServerTest;

using client::HttpResponse;

void expect_cors(const HttpResponse& res) {
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(res.header("Access-Control-Expose-Headers"), "X-Audio-Metadata");
}

/// A 4xx whose X-Audio-Metadata says kill_client with a non-empty message.
void expect_clear_error(const HttpResponse& res, int status) {
  EXPECT_EQ(res.status, status) << res.body;
  client::ErrorReply err;
  const auto s = client::parse_error_header(res.header("X-Audio-Metadata"), err);
  ASSERT_TRUE(s.ok()) << s.message << " in '" << res.header("X-Audio-Metadata") << "'";
  EXPECT_TRUE(err.kill_client);
  EXPECT_FALSE(err.message.empty());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(HttpApi, ClockGetReportsTheSampleClock) {
  const Clock before = client::local_clock_now();
  const auto res = http_->get("/api");
  const Clock after = client::local_clock_now();
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "ok");
  expect_cors(res);
  client::ClockReply clock;
  const auto s = client::parse_clock_reply(res.header("X-Audio-Metadata"), clock);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(clock.server_sample_rate, 48000);
  // Same machine, same clock: the server's reading lies between ours.
  EXPECT_GE(clock.server_clock, before);
  EXPECT_LE(clock.server_clock, after);
}

TEST_F(HttpApi, StatusReportsOccupancyWithMetadataLen) {
  const auto res = http_->post("/api?action=status", "");
  ASSERT_EQ(res.status, 200);
  expect_cors(res);
  client::StatusReply status;
  const auto s = client::parse_status_reply(res.header("X-Audio-Metadata"), res.body, status);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(status.n_connected_users, 0);
  EXPECT_EQ(status.max_users, kTestMaxUsers);

  // One singer exchanges; the room then counts it.
  client::Singer singer(*http_, 1001, "Ann");
  singer.connect(3.0);
  ASSERT_TRUE(singer.exchange(28'800).ok());
  const auto after = http_->post("/api?action=status", "");
  ASSERT_TRUE(
      client::parse_status_reply(after.header("X-Audio-Metadata"), after.body, status).ok());
  EXPECT_EQ(status.n_connected_users, 1);
}

TEST_F(HttpApi, KeepAliveServesManyRequestsOnOneConnection) {
  for (int i = 0; i < 20; ++i) ASSERT_EQ(http_->get("/api").status, 200);
  EXPECT_EQ(http_->connections_opened(), 1);
}

TEST_F(HttpApi, OptionsPreflightIsAnsweredPermissively) {
  const auto res = http_->request("OPTIONS", "/api", "");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), "*");
}

TEST_F(HttpApi, UnknownMethodsGet405) {
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    for (const char* target : {"/api", "/index.html"}) {
      const auto res = http_->request(method, target, "x");
      EXPECT_EQ(res.status, 405) << method << " " << target;
      EXPECT_FALSE(res.header("Allow").empty()) << method << " " << target;
    }
  }
  expect_serving();
}

TEST_F(HttpApi, StaticRootServesIndexHtml) {
  const auto res = http_->get("/");
  ASSERT_EQ(res.status, 200);
  EXPECT_TRUE(res.header("Content-Type").starts_with("text/html")) << res.header("Content-Type");
  EXPECT_EQ(res.body, read_file(std::string(BRIGADE_WEB_ROOT) + "/index.html"));
  EXPECT_EQ(http_->get("/no-such-file.js").status, 404);
}

TEST_F(HttpApi, PathsEscapingTheWebRootAreRefused) {
  for (const char* target :
       {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/%2E%2E/etc/passwd",
        "/..%2f..%2fetc%2fpasswd", "/./../etc/passwd", "/%00/etc/passwd", "/..\\..\\etc\\passwd"}) {
    const auto res = http_->get(target);
    EXPECT_GE(res.status, 400) << target;
    EXPECT_LT(res.status, 500) << target;
    EXPECT_EQ(res.body.find("root:"), std::string::npos) << target;
  }
  expect_serving();
}

TEST_F(HttpApi, MalformedHttpGetsAnAnswerOrAClose) {
  // Not HTTP at all: the server may answer 400 or close; either way it keeps serving.
  try {
    const auto res = http_->raw("NONSENSE\r\n\r\n");
    EXPECT_GE(res.status, 400);
    EXPECT_LT(res.status, 500);
  } catch (const client::HttpError&) {
  }
  expect_serving();
}

TEST_F(HttpApi, OversizedBodyIs413AndServerKeepsServing) {
  const std::string body((1u << 20) + 1, 'x');
  try {
    const auto res = http_->post("/api?action=status", body);
    expect_clear_error(res, 413);
  } catch (const client::HttpError& e) {
    // The server may close after answering; the answer can then be lost to a reset.
    ADD_FAILURE() << "no 413 for an oversized body: " << e.what();
  }
  expect_serving();
}

TEST_F(HttpApi, OversizedHeaderIsRefused) {
  const std::string target = "/api?x=" + std::string(20'000, 'a');
  try {
    const auto res = http_->get(target);
    EXPECT_GE(res.status, 400);
    EXPECT_LT(res.status, 500);
  } catch (const client::HttpError&) {
    // A close without an answer is acceptable for a header this size.
  }
  expect_serving();
}

}  // namespace
}  // namespace brigade::integration
