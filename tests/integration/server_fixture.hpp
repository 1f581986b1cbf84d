// Integration tests: a fixture that runs the real server for each test and hands out clients.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "client/http_client.hpp"
#include "support/server_process.hpp"

namespace brigade::integration {

/// --max-users given to every test server; status replies must report it.
inline constexpr int kTestMaxUsers = 17;

/// The server binary and web root, from the build (CMake compile definitions).
inline client::ServerOptions server_options() {
  client::ServerOptions o;
  o.binary = BRIGADE_SERVER_BINARY;
  o.web_root = BRIGADE_WEB_ROOT;
  o.threads = 2;
  o.max_users = kTestMaxUsers;
  return o;
}

/// Starts a fresh server per test: each test sees an empty room.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server(); }

  /// Starts the server with extra flags (fixtures that need flags call this from their tests).
  void start_server(const std::vector<std::string>& extra_args = {}) {
    client::ServerOptions o = server_options();
    o.capture_stderr = capture_stderr_;
    o.extra_args.insert(o.extra_args.end(), extra_args.begin(), extra_args.end());
    server_ = std::make_unique<client::ServerProcess>(o);
    http_ = make_client();
  }
  void TearDown() override {
    http_.reset();
    if (server_) {
      // The server must shut down cleanly on SIGINT: exit status 0, not a signal death.
      const int status = server_->stop();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "server wait status " << status << "; stdout: " << server_->output();
    }
  }

  std::unique_ptr<client::HttpClient> make_client() const {
    return std::make_unique<client::HttpClient>("127.0.0.1", server_->port());
  }

  /// A GET of the clock succeeds: the server is alive and answering.
  void expect_serving() {
    auto fresh = make_client();
    const auto res = fresh->get("/api");
    EXPECT_EQ(res.status, 200) << "server stopped serving";
  }

  /// Set before start_server() to read the server's log lines from server_->output().
  bool capture_stderr_ = false;
  std::unique_ptr<client::ServerProcess> server_;
  std::unique_ptr<client::HttpClient> http_;
};

/// The value of `family`{…,kind="<kind>"} in a /metrics text (-1 when absent).
inline double metric_of_kind(const std::string& text, const std::string& family,
                             const std::string& kind) {
  std::size_t at = 0;
  while ((at = text.find(family + "{", at)) != std::string::npos) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end;
    if (line.find("kind=\"" + kind + "\"}") == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1.0;
}

}  // namespace brigade::integration
