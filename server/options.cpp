// brigade: flags.
#include "options.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#ifndef BRIGADE_DEFAULT_WEB_ROOT
#define BRIGADE_DEFAULT_WEB_ROOT "web"
#endif
#ifndef BRIGADE_VERSION
#define BRIGADE_VERSION "unknown"
#endif

namespace brigade::server {
namespace po = boost::program_options;

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  o.web_root = BRIGADE_DEFAULT_WEB_ROOT;
  po::options_description desc("brigade-server: bucket-brigade singing server\n\nOptions");
  auto add = desc.add_options();
  add("help,h", "print this help and exit");
  add("version", "print the version");
  add("listen", po::value(&o.listen)->default_value(o.listen),
      "address:port to serve on (port 0 = any free port; 0.0.0.0:8080 for all interfaces)");
  add("web-root", po::value(&o.web_root)->default_value(o.web_root),
      "directory of the singer page, served at /");
  add("threads", po::value(&o.threads)->default_value(0),
      "worker threads (0 = one per hardware thread)");
  add("max-users", po::value(&o.max_users)->default_value(o.max_users),
      "most singers active at once; later joiners get 503 (reported by action=status)");
  add("recordings-dir", po::value(&o.recordings_dir)->default_value(o.recordings_dir),
      "where song recordings go (created if missing; served at /recordings/)");
  add("keep-recordings", po::value(&o.keep_recordings)->default_value(o.keep_recordings),
      "how many recordings to keep (oldest deleted first)");
  add("tracks-dir", po::value(&o.tracks_dir)->default_value(o.tracks_dir),
      "backing tracks (*.wav); uploads land here");
  add("admin-token", po::value(&o.admin_token),
      "when set, room-wide controls (volume, backing volume, auto-gain, track, halting "
      "someone else's song, clearing events) need admin_token=TOKEN or an X-Admin-Token header");
  add("log-level", po::value(&o.log_level)->default_value(o.log_level), "error|warn|info|debug");
  add("root-api-listen", po::value(&o.root_api_listen)->composing(),
      "address:port of an extra listener that answers the API at / (repeatable): for the "
      "original page opened at http://localhost, use 127.0.0.1:8081 and 127.0.0.1:8082");
  add("instance-name", po::value(&o.instance_name),
      "a name for this server, reported by action=status (the original page shows it)");
  add("no-shared-encoding",
      "encode every reply with the singer's own encoder (by default singers at the same delay "
      "whose reads sit on the 60 ms grid share one encoder stream)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "brigade-server: " << e.what() << " (see --help)\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    exit_code = 0;
    return std::nullopt;
  }
  if (vm.count("version")) {
    std::cout << "brigade-server " << BRIGADE_VERSION << "\n";
    exit_code = 0;
    return std::nullopt;
  }
  if (o.max_users < 1) {
    std::cerr << "brigade-server: --max-users must be at least 1\n";
    exit_code = 2;
    return std::nullopt;
  }
  o.share_encoders = vm.count("no-shared-encoding") == 0;
  if (o.keep_recordings < 1) {
    std::cerr << "brigade-server: --keep-recordings must be at least 1\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace brigade::server
