// Integration: how an operator configures the real server: a --config file (flags override it,
// unknown keys are refused) and the admin token from a file or the environment, never logged.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "client/api_wire.hpp"
#include "client/singer.hpp"
#include "server_fixture.hpp"
#include "support/temp_dir.hpp"

namespace brigade::integration {
namespace {

constexpr Clock kFrame = 2'880;  // one Opus packet
constexpr const char* kEnvToken = "BRIGADE_ADMIN_TOKEN";

/// What a command printed (stdout and stderr) and its exit code.
struct Run {
  std::string output;
  int exit_code = -1;
};

/// Runs the server binary with `args` (which must make it exit at once) through the shell.
Run run_server(const std::string& args) {
  const std::string command = std::string(BRIGADE_SERVER_BINARY) + " " + args + " 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) run.output.append(buf, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

/// A server per test, its log (stderr, at debug level) captured with its stdout.
class Settings : public ServerTest {
 protected:
  void SetUp() override {}  // each test starts its server with the flags it needs
  void TearDown() override {
    ServerTest::TearDown();
    unsetenv(kEnvToken);
  }

  void start(const std::vector<std::string>& args) {
    client::ServerOptions o = server_options();
    o.max_users = 0;  // the test's own flags or config file decide
    o.log_level = "debug";
    o.capture_stderr = true;
    o.extra_args = {"--tracks-dir", (dir_.path() / "tracks").string(), "--recordings-dir",
                    (dir_.path() / "recordings").string()};
    o.extra_args.insert(o.extra_args.end(), args.begin(), args.end());
    server_ = std::make_unique<client::ServerProcess>(o);
    http_ = make_client();
  }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::int64_t max_users() {
    const auto res = http_->post("/api?action=status", "");
    EXPECT_EQ(res.status, 200);
    client::StatusReply status;
    const auto s = client::parse_status_reply(res.header("X-Audio-Metadata"), res.body, status);
    EXPECT_TRUE(s.ok()) << s.message;
    return status.max_users;
  }

  /// A room-wide control (global volume) as a one-off request, with `token` in the query
  /// (or no token when empty).
  int set_volume(const std::string& token) {
    client::ExchangeParams p;
    const Clock now = client::local_clock_now() - kSampleRate;
    p.userid = 4242;
    p.read_clock = now - now % kFrame;
    p.n_samples = kFrame;
    p.username = "Conductor";
    p.reset_user_state = true;
    p.volume = 1.5;
    if (!token.empty()) p.extra.emplace_back("admin_token", token);
    return http_->post(client::exchange_target(p), "").status;
  }

  /// The same control with the token in the X-Admin-Token header.
  int set_volume_with_header(const std::string& token) {
    client::ExchangeParams p;
    const Clock now = client::local_clock_now() - kSampleRate;
    p.userid = 4243;
    p.read_clock = now - now % kFrame;
    p.n_samples = kFrame;
    p.reset_user_state = true;
    p.volume = 1.2;
    return http_
        ->raw("POST " + client::exchange_target(p) +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Token: " + token +
              "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .status;
  }

  /// The control needs exactly `token`, and nothing the server printed contains it.
  void expect_token_guards_and_stays_secret(const std::string& token, const std::string& source) {
    EXPECT_EQ(set_volume(""), 403);
    EXPECT_EQ(set_volume(token + "x"), 403);
    EXPECT_EQ(set_volume(token), 200);
    EXPECT_EQ(set_volume_with_header(token), 200);
    EXPECT_EQ(http_->get("/api/telemetry").body.find(token), std::string::npos);
    EXPECT_EQ(http_->get("/metrics").body.find(token), std::string::npos);
    const int status = server_->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const std::string out = server_->output();
    EXPECT_EQ(out.find(token), std::string::npos) << "the server printed the token:\n" << out;
    // The log names where the token came from, so the operator can tell which one is used.
    EXPECT_NE(out.find("admin_token_from="), std::string::npos) << out;
    EXPECT_NE(out.find(source), std::string::npos) << out;
  }

  testing::TempDir dir_{"brigade-settings"};
};

TEST_F(Settings, ConfigFileValuesApply) {
  const auto config =
      write("brigade.conf", "# an operator's settings\nmax-users = 5\n\nkeep-recordings = 3\n");
  start({"--config", config});
  EXPECT_EQ(max_users(), 5);
  EXPECT_TRUE(server_->wait_for_output("config=" + config, std::chrono::seconds(5)))
      << server_->output();
}

TEST_F(Settings, CommandLineOverridesConfigFile) {
  // The file's listen address would fail (port 1 is privileged or taken); the flag wins.
  const auto config = write("brigade.conf", "listen = 127.0.0.1:1\nmax-users = 5\n");
  start({"--config", config, "--max-users", "9"});
  EXPECT_EQ(max_users(), 9);
}

TEST_F(Settings, ConfigFileErrorsAreClear) {
  const auto unknown = write("unknown.conf", "max-users = 5\nmax-singers = 7\n");
  auto run = run_server("--config " + unknown);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("unrecognised option 'max-singers'"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(unknown), std::string::npos) << run.output;

  const auto bad_value = write("bad.conf", "max-users = many\n");
  run = run_server("--config " + bad_value);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("max-users"), std::string::npos) << run.output;

  run = run_server("--config " + (dir_.path() / "missing.conf").string());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("cannot read --config"), std::string::npos) << run.output;

  // Settings that are command-line only are not config keys.
  const auto help = write("help.conf", "help = 1\n");
  run = run_server("--config " + help);
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

TEST_F(Settings, AdminTokenFromFile) {
  const std::string token = "from-a-file-7f3a9c";
  const auto file = write("admin-token", token + "\n");
  start({"--admin-token-file", file});
  expect_token_guards_and_stays_secret(token, "--admin-token-file " + file);
}

TEST_F(Settings, AdminTokenFileFromConfigFile) {
  const std::string token = "named-in-the-config-51e0";
  const auto file = write("admin-token", token + "\r\n");
  start({"--config", write("brigade.conf", "admin-token-file = " + file + "\n")});
  expect_token_guards_and_stays_secret(token, "--admin-token-file " + file);
}

TEST_F(Settings, AdminTokenFromEnvironment) {
  const std::string token = "from-the-environment-c0ffee";
  setenv(kEnvToken, token.c_str(), 1);
  start({});
  expect_token_guards_and_stays_secret(token, kEnvToken);
}

TEST_F(Settings, CommandLineTokenBeatsConfigAndEnvironment) {
  const std::string token = "the-command-line-one-9d2";
  setenv(kEnvToken, "the-environment-one", 1);
  const auto config = write("brigade.conf", "admin-token = the-config-one\n");
  start({"--config", config, "--admin-token-file", write("admin-token", token)});
  EXPECT_EQ(set_volume("the-environment-one"), 403);
  EXPECT_EQ(set_volume("the-config-one"), 403);
  expect_token_guards_and_stays_secret(token, "--admin-token-file");
}

TEST_F(Settings, BadTokenFilesAreRefused) {
  auto run = run_server("--admin-token-file " + write("empty", "\n"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("is empty"), std::string::npos) << run.output;

  run = run_server("--admin-token-file " + (dir_.path() / "missing").string());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("cannot read --admin-token-file"), std::string::npos) << run.output;

  const std::string secret = "both-given-secret";
  run = run_server("--admin-token " + secret + " --admin-token-file " + write("t", "x\n"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("not both"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find(secret), std::string::npos) << run.output;
}

}  // namespace
}  // namespace brigade::integration
