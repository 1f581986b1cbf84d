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
      "someone else's song, clearing events) and controls over other singers (their "
      "microphone level, solo) need admin_token=TOKEN or an X-Admin-Token header");
  add("operator-token", po::value(&o.operator_token),
      "read-only operators' token: with --private, it (or the admin token) is needed to see "
      "recordings, /api/debug/state, /api/telemetry and /metrics; it controls nothing");
  add("private",
      "make recordings, the debug state, telemetry and metrics operator-only "
      "(needs --operator-token or --admin-token)");
  add("who-may-lead", po::value(&o.who_may_lead)->default_value(o.who_may_lead),
      "anyone|operators: who may take the lead before a song (operators = the admin token; "
      "needs --admin-token)");
  add("leader-gone-seconds", po::value(&o.leader_gone_seconds)->default_value(30),
      "a running song whose leader sent nothing for this long ends at the leader's last write");
  add("max-recording-minutes", po::value(&o.max_recording_minutes)->default_value(60),
      "longest recording of one song; the recording stops there");
  add("max-recordings-mb", po::value(&o.max_recordings_mb)->default_value(2048),
      "size cap of the recordings folder in MiB (oldest recordings deleted first)");
  add("log-level", po::value(&o.log_level)->default_value(o.log_level),
      "error|warn|info|debug (debug adds an access log line per request)");
  add("log-format", po::value(&o.log_format)->default_value(o.log_format),
      "text (timestamp level event key=value) or json (one object per line)");
  add("drain-timeout", po::value(&o.drain_timeout_seconds)->default_value(o.drain_timeout_seconds),
      "on SIGTERM, refuse new singers and let a running song finish for at most this many "
      "seconds, then exit (a second signal exits at once)");
  add("no-shared-encoding",
      "encode every reply with the singer's own encoder (by default singers at the same delay "
      "whose reads sit on the 60 ms grid share one encoder stream)");
  add("require-session-token",
      "refuse every exchange that lacks its session's token (by default only singers whose "
      "client has echoed the token once must keep sending it; original clients never do)");
  add("singer-requests-per-second",
      po::value(&o.singer_requests_per_second)->default_value(o.singer_requests_per_second),
      "exchanges per second one userid may send (bursts of 2 s; 0 = unlimited); beyond: 429");
  add("max-connections", po::value(&o.max_connections)->default_value(o.max_connections),
      "most connections open at once; beyond: 503 and close");
  add("max-connections-per-address",
      po::value(&o.max_connections_per_address)->default_value(o.max_connections_per_address),
      "most connections from one client address (behind a reverse proxy all clients share its "
      "address: raise this)");
  add("max-uploads", po::value(&o.max_uploads)->default_value(o.max_uploads),
      "track uploads received or converted at once; beyond: 503");
  add("max-upload-mib", po::value(&o.max_upload_mib)->default_value(o.max_upload_mib),
      "MiB of upload bodies held in memory at once; beyond: 503");
  add("max-tracks", po::value(&o.max_tracks)->default_value(o.max_tracks),
      "most tracks in --tracks-dir an upload may add to; beyond: 507");
  add("max-tracks-mib", po::value(&o.max_tracks_mib)->default_value(o.max_tracks_mib),
      "most MiB of tracks in --tracks-dir an upload may add to; beyond: 507");
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
  o.require_session_token = vm.count("require-session-token") != 0;
  if (!(o.singer_requests_per_second >= 0.0) || o.max_connections < 1 ||
      o.max_connections_per_address < 1 || o.max_uploads < 1 || o.max_upload_mib < 32) {
    std::cerr << "brigade-server: --singer-requests-per-second must be >= 0, --max-connections, "
                 "--max-connections-per-address and --max-uploads >= 1, --max-upload-mib >= 32\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (o.drain_timeout_seconds < 0) {
    std::cerr << "brigade-server: --drain-timeout must be 0 or more seconds\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (o.keep_recordings < 1) {
    std::cerr << "brigade-server: --keep-recordings must be at least 1\n";
    exit_code = 2;
    return std::nullopt;
  }
  o.private_data = vm.count("private") != 0;
  auto bad = [&](const char* message) {
    std::cerr << "brigade-server: " << message << "\n";
    exit_code = 2;
    return std::nullopt;
  };
  if (o.private_data && o.admin_token.empty() && o.operator_token.empty()) {
    return bad("--private needs --operator-token or --admin-token (or nobody could see them)");
  }
  if (o.who_may_lead != "anyone" && o.who_may_lead != "operators") {
    return bad("--who-may-lead must be anyone or operators");
  }
  if (o.who_may_lead == "operators" && o.admin_token.empty()) {
    return bad("--who-may-lead operators needs --admin-token");
  }
  if (o.leader_gone_seconds < 1 || o.leader_gone_seconds > 3600) {
    return bad("--leader-gone-seconds must be from 1 to 3600");
  }
  if (o.max_recording_minutes < 1 || o.max_recording_minutes > 24 * 60) {
    return bad("--max-recording-minutes must be from 1 to 1440");
  }
  if (o.max_recordings_mb < 1 || o.max_recordings_mb > (1LL << 30)) {
    return bad("--max-recordings-mb must be from 1 to 1073741824");
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace brigade::server
