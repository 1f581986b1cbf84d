// Integration: rooms spread over machines. Debian's nginx, on loopback with the shipped
// deploy/nginx/brigade-room-map.conf and brigade-proxy.conf included verbatim (only the
// upstream's server lines are the test's), sits in front of two real brigade-servers. Every
// request of a room must reach one server, the rooms must spread over both, and a two-singer
// song in a room on each server, sung at once through the proxy, must hear only its own tone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "room_song.hpp"
#include "server_fixture.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace brigade::integration {
namespace {

using namespace std::chrono_literals;

/// Rooms made through the proxy (each server holds ~96 MB per room: keep it small).
// Twelve rooms: which server a name hashes to depends on the servers' (random) ports, and with
// four names all of them landed on one server in about one run in eight; with twelve that is
// about one in two thousand.
const std::vector<std::string> kRooms{"alto",    "bass",     "tenor",   "soprano",
                                      "treble",  "baritone", "mezzo",   "contra",
                                      "counter", "choir-a",  "choir-b", "choir-c"};

/// A loopback port nobody listens on now (nginx cannot be told to pick one).
std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

/// nginx in the foreground (daemon off) with everything it writes under `dir`; stopped
/// (SIGQUIT, then SIGKILL) when destroyed.
class Nginx {
 public:
  Nginx(const std::filesystem::path& dir, const std::string& config) {
    std::ofstream(dir / "nginx.conf") << config;
    const std::string prefix = dir.string() + "/", conf = (dir / "nginx.conf").string(),
                      log = (dir / "error.log").string();
    std::vector<std::string> args{BRIGADE_NGINX, "-p", prefix, "-c", conf, "-e", log};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, BRIGADE_NGINX, nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Nginx() {
    if (pid_ <= 0) return;
    kill(pid_, SIGQUIT);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(50ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

class Proxy : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(BRIGADE_NGINX))
        << "nginx not found: run scripts/install-deps (it unpacks Debian's nginx)";
    for (const char* name : {"one", "two"}) {
      client::ServerOptions o = server_options();
      o.extra_args = {"--instance-name",  name,
                      "--max-rooms",      "16",
                      "--recordings-dir", (dir_.path() / name / "recordings").string(),
                      "--tracks-dir",     (dir_.path() / name / "tracks").string()};
      servers_.push_back(std::make_unique<client::ServerProcess>(o));
      by_port_[servers_.back()->port()] = name;
    }
    port_ = free_port();
    std::ostringstream c;
    const std::string d = dir_.path().string(), deploy = BRIGADE_DEPLOY_DIR;
    c << "daemon off;\nworker_processes 1;\npid " << d << "/nginx.pid;\n"
      << "error_log " << d << "/error.log warn;\nevents { worker_connections 256; }\nhttp {\n"
      << "  log_format rooms '$brigade_room $upstream_addr $status $request_uri';\n"
      << "  access_log " << d << "/access.log rooms;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      c << "  " << t << "_temp_path " << d << "/" << t << ";\n";
    }
    c << "  include " << deploy << "/brigade-room-map.conf;\n"
      << "  upstream brigade_rooms {\n    hash $brigade_room consistent;\n";
    for (const auto& s : servers_) c << "    server 127.0.0.1:" << s->port() << " max_fails=0;\n";
    c << "    keepalive 16;\n  }\n  server {\n    listen 127.0.0.1:" << port_ << ";\n"
      << "    include " << deploy << "/brigade-proxy.conf;\n  }\n}\n";
    nginx_ = std::make_unique<Nginx>(dir_.path(), c.str());
    ASSERT_TRUE(nginx_->started());
    for (int i = 0; i < 200; ++i) {  // until nginx answers (10 s at most)
      try {
        client::HttpClient probe("127.0.0.1", port_, 1s);
        if (probe.get("/api").status == 200) return;
      } catch (const client::HttpError&) {
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "nginx did not answer on port " << port_ << ": " << read(dir_.path() / "error.log");
  }

 public:
  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 protected:
  /// The instance that answered `action=status` of room `room` through the proxy.
  std::string instance_of(client::HttpClient& http, const std::string& room) {
    const auto r = http.post("/r/" + room + "/api?action=status", "");
    EXPECT_EQ(r.status, 200) << room << ": " << r.body;
    if (r.status != 200) return {};
    return std::string(boost::json::parse(r.body).at("instance_name").as_string());
  }

  testing::TempDir dir_{"brigade-proxy"};
  std::vector<std::unique_ptr<client::ServerProcess>> servers_;
  std::map<std::uint16_t, std::string> by_port_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Nginx> nginx_;
};

TEST_F(Proxy, EachRoomStaysOnOneServerAndRoomsSpreadOverBoth) {
  client::HttpClient http("127.0.0.1", port_);
  std::map<std::string, std::string> home;  // room → instance
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& room : kRooms) {
      EXPECT_EQ(http.get("/r/" + room + "/api").status, 200);
      EXPECT_EQ(http.get("/r/" + room + "/").status, 200);
      EXPECT_EQ(http.get("/r/" + room + "/api/telemetry").status, 200);
      const std::string at = instance_of(http, room);
      if (pass == 0) home[room] = at;
      EXPECT_EQ(home[room], at) << room << " moved";
    }
  }
  // nginx's own log: every request of a room went to one upstream, the one that answered.
  std::map<std::string, std::set<std::string>> upstreams;
  std::istringstream log(read(dir_.path() / "access.log"));
  for (std::string room, upstream, status, uri; log >> room >> upstream >> status >> uri;) {
    upstreams[room].insert(upstream);
  }
  std::set<std::string> used;
  for (const auto& room : kRooms) {
    ASSERT_EQ(upstreams[room].size(), 1u) << room;
    const std::string addr = *upstreams[room].begin();
    const auto port = static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
    EXPECT_EQ(by_port_[port], home[room]) << room;
    used.insert(home[room]);
  }
  EXPECT_EQ(used, (std::set<std::string>{"one", "two"})) << "rooms did not spread";
  // Each server holds exactly its rooms (asked directly, not through the proxy).
  for (const auto& s : servers_) {
    client::HttpClient direct("127.0.0.1", s->port());
    const auto lobby = boost::json::parse(direct.get("/api/rooms").body);
    std::set<std::string> held, expected{"default"};
    for (const auto& r : lobby.at("rooms").as_array()) held.emplace(r.at("name").as_string());
    for (const auto& [room, at] : home) {
      if (at == by_port_[s->port()]) expected.insert(room);
    }
    EXPECT_EQ(held, expected) << by_port_[s->port()];
  }
  // The bare / and /api are the default room's, on one server.
  EXPECT_EQ(http.get("/api").status, 200);
  EXPECT_EQ(http.get("/").status, 200);
}

TEST_F(Proxy, SongsInRoomsOnBothServersAtOnceHearOnlyTheirOwnRoom) {
  client::HttpClient http("127.0.0.1", port_);
  std::map<std::string, std::string> room_on;  // instance → a room it holds
  for (const auto& room : kRooms) room_on.emplace(instance_of(http, room), room);
  ASSERT_EQ(room_on.size(), 2u) << "rooms did not spread";
  const std::string first = room_on["one"], second = room_on["two"];
  constexpr double kFirstHz = 440.0, kSecondHz = 660.0;
  HeardSong a, b;
  std::thread ta(
      [&] { a = sing_room_song(port_, "/r/" + first + "/api", kFirstHz, kSecondHz, 10); });
  std::thread tb(
      [&] { b = sing_room_song(port_, "/r/" + second + "/api", kSecondHz, kFirstHz, 20); });
  ta.join();
  tb.join();
  expect_only_own_tone(a, first);
  expect_only_own_tone(b, second);
}

TEST(ProxySite, TheShippedTlsSitePassesNginxConfigTest) {
  // deploy/nginx/brigade.conf as an operator installs it, with its /etc paths pointed at the
  // checkout and a throw-away self-signed certificate: `nginx -t` must accept it.
  ASSERT_TRUE(std::filesystem::exists(BRIGADE_NGINX)) << "run scripts/install-deps";
  testing::TempDir dir("brigade-site");
  const std::string d = dir.path().string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                         "-keyout " +
                         d + "/key.pem -out " + d + "/cert.pem 2>/dev/null")
                            .c_str()),
            0)
      << "openssl is missing: run scripts/install-deps";
  std::ifstream in(std::string(BRIGADE_DEPLOY_DIR) + "/brigade.conf");
  std::string site((std::istreambuf_iterator<char>(in)), {});
  auto replace = [&](const std::string& from, const std::string& to) {
    for (auto at = site.find(from); at != std::string::npos; at = site.find(from, at + to.size()))
      site.replace(at, from.size(), to);
  };
  replace("/etc/nginx/brigade/", std::string(BRIGADE_DEPLOY_DIR) + "/");
  replace("/etc/letsencrypt/live/choir.example.org/fullchain.pem", d + "/cert.pem");
  replace("/etc/letsencrypt/live/choir.example.org/privkey.pem", d + "/key.pem");
  std::ofstream(dir.path() / "site.conf") << site;
  std::ofstream conf(dir.path() / "nginx.conf");
  conf << "pid " << d << "/nginx.pid;\nerror_log " << d << "/error.log;\nevents {}\nhttp {\n";
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    conf << "  " << t << "_temp_path " << d << "/" << t << ";\n";
  }
  conf << "  access_log off;\n  include " << d << "/site.conf;\n}\n";
  conf.close();
  const std::string check = std::string(BRIGADE_NGINX) + " -t -q -p " + d + "/ -c " + d +
                            "/nginx.conf -e " + d + "/error.log > " + d + "/t.out 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0) << Proxy::read(dir.path() / "t.out");
}

}  // namespace
}  // namespace brigade::integration
