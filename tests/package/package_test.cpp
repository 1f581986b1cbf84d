// Package: the .deb that `cpack -G DEB` builds (the package_build fixture), extracted with
// dpkg -x into a scratch root, runs from there: its own web root, its config file, the API.
// The systemd unit is checked for its hardening and, where systemd-analyze exists, verified.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "client/api_wire.hpp"
#include "client/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace brigade::package {
namespace {

namespace fs = std::filesystem;

struct Run {
  std::string output;
  int exit_code = -1;
};

/// Runs `command` through the shell, stdout and stderr together.
Run run(const std::string& command) {
  Run r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) r.output.append(buf, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The .deb the fixture built (the only one in its directory).
fs::path built_deb() {
  fs::path found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(BRIGADE_PACKAGE_DIR, ec)) {
    if (e.path().extension() == ".deb") found = e.path();
  }
  return found;
}

/// Each test gets the package extracted into its own scratch root.
class Package : public ::testing::Test {
 protected:
  void SetUp() override {
    deb_ = built_deb();
    ASSERT_FALSE(deb_.empty()) << "no .deb in " << BRIGADE_PACKAGE_DIR
                               << " (package_build failed?)";
    const auto x = run("dpkg -x '" + deb_.string() + "' '" + root().string() + "'");
    ASSERT_EQ(x.exit_code, 0) << x.output;
  }

  fs::path root() const { return scratch_.path() / "root"; }
  fs::path unit_path() const { return root() / "usr/lib/systemd/system/brigade.service"; }

  fs::path deb_;
  testing::TempDir scratch_{"brigade-package"};
};

TEST_F(Package, ControlDataNamesDependenciesAndTheConfigFile) {
  const auto depends = run("dpkg-deb --field '" + deb_.string() + "' Depends");
  ASSERT_EQ(depends.exit_code, 0) << depends.output;
  EXPECT_NE(depends.output.find("libopus0"), std::string::npos) << depends.output;
  EXPECT_NE(depends.output.find("libboost-program-options1.81.0"), std::string::npos);
  // An operator's edits to the config file survive upgrades.
  const auto conffiles = run("dpkg-deb --info '" + deb_.string() + "' conffiles");
  EXPECT_EQ(conffiles.output, "/etc/brigade/brigade.conf\n");
  for (const char* path : {"usr/bin/brigade-server", "usr/bin/brigade-loadtest",
                           "usr/share/brigade/web/index.html", "usr/share/brigade/web/debug.html",
                           "etc/brigade/brigade.conf", "usr/share/doc/brigade/README.md"}) {
    EXPECT_TRUE(fs::exists(root() / path)) << path;
  }
  EXPECT_TRUE(fs::exists(unit_path()));
}

TEST_F(Package, InstalledServerServesItsInstalledWebRootAndTheApi) {
  // Mark the installed page, so that a page served from anywhere else (the source tree whose
  // path a build bakes in) cannot pass.
  const fs::path web = root() / "usr/share/brigade/web";
  const std::string marker = "<!-- brigade package test: the installed copy -->";
  std::ofstream(web / "index.html", std::ios::app) << marker << "\n";

  client::ServerOptions o;
  o.binary = (root() / "usr/bin/brigade-server").string();
  o.web_root = "";  // the server must find its page next to itself
  o.log_level = "info";
  o.capture_stderr = true;
  // The shipped config file, with the state folders moved into the scratch root (the command
  // line overrides it, as it would on a real machine).
  o.extra_args = {"--config",         (root() / "etc/brigade/brigade.conf").string(),
                  "--recordings-dir", (scratch_.path() / "recordings").string(),
                  "--tracks-dir",     (scratch_.path() / "tracks").string()};
  client::ServerProcess server(o);
  client::HttpClient http("127.0.0.1", server.port());

  const auto page = http.get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(marker), std::string::npos) << "GET / did not serve the installed page";
  EXPECT_EQ(page.body, read_file(web / "index.html"));
  EXPECT_EQ(http.get("/debug.html").status, 200);

  const auto clock = http.get("/api");
  ASSERT_EQ(clock.status, 200);
  client::ClockReply reply;
  const auto s = client::parse_clock_reply(clock.header("X-Audio-Metadata"), reply);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(reply.server_sample_rate, 48000);

  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string out = server.output();
  EXPECT_NE(out.find("web_root=" + fs::canonical(web).string()), std::string::npos) << out;
  EXPECT_NE(out.find("config=" + (root() / "etc/brigade/brigade.conf").string()), std::string::npos)
      << out;
}

TEST_F(Package, UnitRunsAHardenedServiceFromTheConfigFile) {
  const std::string unit = read_file(unit_path());
  for (const char* line :
       {"ExecStart=/usr/bin/brigade-server --config /etc/brigade/brigade.conf "
        "--admin-token-file %d/admin-token",
        "LoadCredential=admin-token:/etc/brigade/admin-token", "DynamicUser=yes",
        "StateDirectory=brigade", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
        "ProtectHome=yes", "CapabilityBoundingSet=\n", "WantedBy=multi-user.target"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << "missing: " << line << "\n" << unit;
  }
  // Recordings and tracks go to the state folder the unit gives the service.
  const std::string config = read_file(root() / "etc/brigade/brigade.conf");
  EXPECT_NE(config.find("\nrecordings-dir = /var/lib/brigade/recordings\n"), std::string::npos);
  EXPECT_NE(config.find("\ntracks-dir = /var/lib/brigade/tracks\n"), std::string::npos);
}

TEST_F(Package, SystemdAnalyzeVerifiesTheUnit) {
  if (run("command -v systemd-analyze").exit_code != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed here: the unit was not verified";
  }
  // verify insists that ExecStart's binary exists: point it at the extracted one.
  std::string unit = read_file(unit_path());
  const std::string installed = "/usr/bin/brigade-server";
  unit.replace(unit.find(installed), installed.size(),
               (root() / "usr/bin/brigade-server").string());
  const fs::path copy = scratch_.path() / "brigade.service";
  std::ofstream(copy) << unit;
  const auto v = run("systemd-analyze verify '" + copy.string() + "'");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  // It reports unknown keys and bad values as warnings with exit 0: there must be none.
  EXPECT_EQ(v.output, "") << v.output;
}

}  // namespace
}  // namespace brigade::package
