// brigade-server: the Bucket Brigade HTTP API, the singer page and the operators' chart on one
// port.
#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "brigade/engine/clock.hpp"
#include "brigade/engine/room.hpp"
#include "brigade/storage/recording_store.hpp"
#include "brigade/storage/track_library.hpp"
#include "drain.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "options.hpp"
#include "room_directory.hpp"
#include "room_dispatcher.hpp"
#include "router.hpp"
#include "ws_push_ticker.hpp"

#ifndef BRIGADE_VERSION
#define BRIGADE_VERSION "unknown"
#endif

namespace net = boost::asio;
using namespace brigade;

namespace {

/// How often named rooms are swept (departures, events) and checked for the idle release.
constexpr std::chrono::seconds kRoomHousekeeping{1};

/// Priority of the thread that decodes uploaded audio: the lowest, below every singer.
constexpr int kUploadWorkerNice = 19;

// "host:port" → endpoint; false with a message when malformed.
bool parse_listen(const std::string& text, net::ip::tcp::endpoint& out, std::string& error,
                  const std::string& flag = "--listen") {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    error = flag + " must be host:port";
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) {
    error = flag + ": '" + host + "' is not an IP address";
    return false;
  }
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    error = flag + ": bad port in '" + text + "'";
    return false;
  }
  out = {address, static_cast<unsigned short>(port)};
  return true;
}

// "http://host:port/" of a listener.
std::string url_of(const net::ip::tcp::endpoint& local) {
  const std::string host = local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                   : local.address().to_string();
  return "http://" + host + ":" + std::to_string(local.port()) + "/";
}

// Every singer holds a connection: lift the soft descriptor limit (often 1,024) to the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// What every room is made of (named rooms get subfolders of these folders).
server::RoomSettings room_settings(const server::Options& o,
                                   const std::filesystem::path& web_root) {
  return server::RoomSettings{
      .room = {.max_users = o.max_users,
               .lead_policy =
                   o.who_may_lead == "operators" ? LeadPolicy::kOperators : LeadPolicy::kAnyone,
               .leader_gone_samples = Clock{o.leader_gone_seconds} * kSampleRate,
               .max_recording_samples = Clock{o.max_recording_minutes} * 60 * kSampleRate},
      .tracks_dir = o.tracks_dir,
      .track_limits = {.max_tracks = o.max_tracks,
                       .max_bytes = std::uintmax_t{o.max_tracks_mib} << 20},
      .recordings_dir = o.recordings_dir,
      .keep_recordings = o.keep_recordings,
      .max_recordings_bytes = static_cast<std::uintmax_t>(o.max_recordings_mb) << 20,
      .stems = o.stems,
      .router = {.web_root = web_root,
                 .version = BRIGADE_VERSION,
                 .exchange = {.share_encoders = o.share_encoders,
                              .admin_token = o.admin_token,
                              .instance_name = o.instance_name,
                              .require_session_token = o.require_session_token,
                              .singer_requests_per_second = o.singer_requests_per_second},
                 .threads = o.threads,
                 .private_data = o.private_data,
                 .operator_token = o.operator_token},
  };
}

server::RoomDirectoryConfig directory_config(const server::Options& o) {
  server::RoomDirectoryConfig c;
  c.max_rooms = o.max_rooms;
  c.allowed = o.rooms;
  c.idle_time = std::chrono::seconds(o.room_idle_seconds);
  for (const auto& [name, token] : o.room_admin_tokens) c.admin_tokens[name] = token;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto options = server::parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  if (!server::set_log_level(options->log_level)) {
    std::cerr << "brigade-server: --log-level must be error, warn, info or debug\n";
    return 2;
  }
  if (!server::set_log_format(options->log_format)) {
    std::cerr << "brigade-server: --log-format must be text or json\n";
    return 2;
  }
  net::ip::tcp::endpoint endpoint;
  std::string error;
  if (!parse_listen(options->listen, endpoint, error)) {
    std::cerr << "brigade-server: " << error << "\n";
    return 2;
  }
  std::vector<net::ip::tcp::endpoint> root_endpoints(options->root_api_listen.size());
  for (std::size_t i = 0; i < root_endpoints.size(); ++i) {
    if (!parse_listen(options->root_api_listen[i], root_endpoints[i], error, "--root-api-listen")) {
      std::cerr << "brigade-server: " << error << "\n";
      return 2;
    }
  }
  std::error_code fs_error;
  const auto web_root = std::filesystem::canonical(options->web_root, fs_error);
  if (fs_error || !std::filesystem::is_directory(web_root)) {
    std::cerr << "brigade-server: --web-root '" << options->web_root << "' is not a directory\n";
    return 2;
  }

  raise_descriptor_limit();
  // A file size limit (RLIMIT_FSIZE) must fail the write (EFBIG: the recording stops with a
  // valid file), not kill the server with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  SystemSampleClock clock;
  std::unique_ptr<server::RoomDirectory> rooms;
  try {
    rooms = std::make_unique<server::RoomDirectory>(clock, room_settings(*options, web_root),
                                                    directory_config(*options));
  } catch (const std::exception& e) {
    std::cerr << "brigade-server: --recordings-dir: " << e.what() << "\n";
    return 1;
  }
  server::RoomDispatcher dispatcher(*rooms);
  server::Router& router = rooms->default_room().router();

  net::io_context ioc(static_cast<int>(options->threads));
  server::UploadGate uploads({.max_concurrent = options->max_uploads,
                              .max_bytes_in_flight = options->max_upload_mib << 20});
  net::thread_pool upload_worker(1);
  net::post(upload_worker, [] {
    // Decoding uploads yields the CPU to the singers' I/O threads (per-thread nice on Linux).
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kUploadWorkerNice);
  });
  server::WsPushTicker ws_pushes(ioc.get_executor());
  server::SessionShared shared{dispatcher, uploads, upload_worker, ws_pushes};
  server::ConnectionLimits connection_limits(
      {.max_total = options->max_connections,
       .max_per_address = options->max_connections_per_address});
  std::shared_ptr<server::Listener> listener;
  std::vector<std::shared_ptr<server::Listener>> root_listeners;
  try {
    listener = std::make_shared<server::Listener>(ioc, endpoint, shared, connection_limits);
    for (const auto& e : root_endpoints) {
      root_listeners.push_back(
          std::make_shared<server::Listener>(ioc, e, shared, connection_limits, true));
    }
  } catch (const boost::system::system_error& e) {
    const std::string which = root_listeners.size() < root_endpoints.size() && listener
                                  ? options->root_api_listen[root_listeners.size()]
                                  : options->listen;
    std::cerr << "brigade-server: cannot listen on " << which << ": " << e.code().message() << "\n";
    return 1;
  }
  listener->run();
  for (auto& l : root_listeners) l->run();
  router.readiness().set_listening(true);

  server::Drain drain(ioc, *rooms, std::chrono::seconds(options->drain_timeout_seconds), [&] {
    router.readiness().set_listening(false);
    listener->stop();
    for (auto& l : root_listeners) l->stop();
    ioc.stop();
  });
  drain.start();
  // Named rooms: their housekeeping (departures, events, the drain) and the idle release.
  net::steady_timer room_timer(ioc);
  std::function<void()> tick_rooms = [&] {
    room_timer.expires_after(kRoomHousekeeping);
    room_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      rooms->housekeeping();
      rooms->release_idle();
      tick_rooms();
    });
  };
  tick_rooms();

  // Printed before the main line: whoever waits for that line has these too.
  for (auto& l : root_listeners) {
    std::cout << "brigade-server API at the root of " << url_of(l->local_endpoint()) << std::endl;
  }
  const auto local = listener->local_endpoint();
  const std::string host = local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                   : local.address().to_string();
  std::cout << "brigade-server listening on http://" << host << ":" << local.port() << "/"
            << std::endl;
  server::log_event(
      server::LogLevel::kInfo, "started",
      {{"version", BRIGADE_VERSION},
       {"listen", host + ":" + std::to_string(local.port())},
       {"web_root", web_root.string()},
       {"threads", options->threads},
       {"drain_timeout_s", options->drain_timeout_seconds},
       {"config", options->config_file.empty() ? "none" : options->config_file},
       // Where the admin token came from, never the token.
       {"admin_token_from", options->admin_token.empty() ? "none" : options->admin_token_source}});

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < options->threads; ++i) workers.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : workers) t.join();
  upload_worker.stop();
  upload_worker.join();
  rooms.reset();  // stops every recorder: open recordings are finished (valid WAV headers)
  server::log_event(server::LogLevel::kInfo, "stopped");
  return 0;
}
