// brigade: flags.
#include "options.hpp"

#include "room_name.hpp"

#include <boost/program_options.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#ifndef BRIGADE_DEFAULT_WEB_ROOT
#define BRIGADE_DEFAULT_WEB_ROOT "web"
#endif
#ifndef BRIGADE_RELATIVE_WEB_ROOT
#define BRIGADE_RELATIVE_WEB_ROOT "../share/brigade/web"
#endif
#ifndef BRIGADE_VERSION
#define BRIGADE_VERSION "unknown"
#endif

namespace brigade::server {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

/// Highest --max-rooms: each room is ~81 MB of rings and one recorder thread.
constexpr std::size_t kMaxRoomsLimit = 1000;

/// Largest admin token file read (bytes): a token is one line, not a document.
constexpr std::size_t kMaxTokenFileBytes = 4096;

/// An installed server finds its page next to itself (<prefix>/bin → <prefix>/share/brigade/web);
/// one run from a build tree falls back to the source tree it was built from.
std::string default_web_root() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = (exe.parent_path() / BRIGADE_RELATIVE_WEB_ROOT).lexically_normal();
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return BRIGADE_DEFAULT_WEB_ROOT;
}

/// The token in `path`: its first line without trailing blanks. False with `error` set when
/// the file is unreadable, empty or larger than kMaxTokenFileBytes.
bool read_token_file(const std::string& path, std::string& token, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read --admin-token-file '" + path + "'";
    return false;
  }
  std::string text(kMaxTokenFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxTokenFileBytes) {
    error = "--admin-token-file '" + path + "' is larger than 4096 bytes";
    return false;
  }
  token = text.substr(0, text.find('\n'));
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) {
    error = "--admin-token-file '" + path + "' is empty";
    return false;
  }
  return true;
}

/// The admin token from one source (command line or config file): false with `error` when
/// both --admin-token and --admin-token-file are given or the file is bad; `found` tells
/// whether this source named a token at all.
bool token_from(const po::variables_map& vm, Options& o, bool& found, std::string& error) {
  const bool inline_token = vm.count("admin-token") > 0;
  const bool file = vm.count("admin-token-file") > 0;
  found = inline_token || file;
  if (inline_token && file) {
    error = "give either --admin-token or --admin-token-file, not both";
    return false;
  }
  if (inline_token) {
    o.admin_token = vm["admin-token"].as<std::string>();
    o.admin_token_source = "--admin-token";
    return true;
  }
  if (!file) return true;
  const auto path = vm["admin-token-file"].as<std::string>();
  o.admin_token_source = "--admin-token-file " + path;
  return read_token_file(path, o.admin_token, error);
}

/// Resolves the admin token: command line, else config file, else the environment.
bool resolve_admin_token(const po::variables_map& cli, const po::variables_map& file, Options& o,
                         std::string& error) {
  bool found = false;
  if (!token_from(cli, o, found, error)) return false;
  if (found) return true;
  if (!token_from(file, o, found, error)) return false;
  if (found) return true;
  const char* env = std::getenv(kAdminTokenEnv);
  if (env != nullptr && *env != '\0') {
    o.admin_token = env;
    o.admin_token_source = kAdminTokenEnv;
  }
  return true;
}

/// Stores the settings of config file `path` into `merged` (where the command line's values
/// win) and into `alone`. Throws with the file's name in the message.
void store_config_file(const std::string& path, const po::options_description& settings,
                       po::variables_map& merged, po::variables_map& alone) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read --config '" + path + "'");
  try {
    const auto parsed = po::parse_config_file(file, settings);
    po::store(parsed, merged);
    po::store(parsed, alone);
  } catch (const std::exception& e) {
    throw std::runtime_error("--config '" + path + "': " + e.what());
  }
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  o.web_root = default_web_root();
  po::options_description desc("brigade-server: bucket-brigade singing server\n\nOptions");
  // Only on the command line.
  desc.add_options()("help,h", "print this help and exit")("version", "print the version")(
      "config", po::value(&o.config_file),
      "read settings from FILE: `key = value` lines named like the long flags below (e.g. "
      "`listen = 127.0.0.1:8080`, `# comments`); flags on the command line override it");
  // On the command line or in the config file.
  po::options_description settings;
  auto add = settings.add_options();
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
      "backing tracks (WAV, MP3, FLAC, AIFF); uploads land here");
  add("admin-token", po::value<std::string>(),
      "when set, room-wide controls (volume, backing volume, auto-gain, track, halting "
      "someone else's song, clearing events) and controls over other singers (their "
      "microphone level, solo) need admin_token=TOKEN or an X-Admin-Token header "
      "(visible in ps: prefer --admin-token-file or BRIGADE_ADMIN_TOKEN)");
  add("admin-token-file", po::value<std::string>(),
      "read the admin token from the first line of FILE (never logged)");
  add("operator-token", po::value(&o.operator_token),
      "read-only operators' token: with --private, it (or the admin token) is needed to see "
      "recordings, /api/debug/state, /api/telemetry and /metrics; it controls nothing");
  bool private_data = false;
  add("private", po::bool_switch(&private_data),
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
  add("root-api-listen", po::value(&o.root_api_listen)->composing(),
      "address:port of an extra listener that answers the API at / (repeatable): for the "
      "original page opened at http://localhost, use 127.0.0.1:8081 and 127.0.0.1:8082");
  add("instance-name", po::value(&o.instance_name),
      "a name for this server, reported by action=status (the original page shows it)");
  bool no_shared_encoding = false;
  add("no-shared-encoding", po::bool_switch(&no_shared_encoding),
      "encode every reply with the singer's own encoder (by default singers at the same delay "
      "whose reads sit on the 60 ms grid share one encoder stream)");
  add("require-session-token", po::bool_switch(&o.require_session_token),
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
  bool no_stems = false;
  add("no-stems", po::bool_switch(&no_stems),
      "record only the mix (by default each singer's uploaded Opus packets are also kept as "
      "their own Ogg Opus stem beside the song's recording)");
  add("max-rooms", po::value(&o.max_rooms)->default_value(o.max_rooms),
      "named rooms (/r/NAME/) open at once besides the default room (~81 MB each); beyond: "
      "503 (0 = no named rooms)");
  add("room", po::value(&o.rooms)->composing(),
      "a named room that may exist (repeatable); with none given, any valid name makes a room "
      "on first use");
  add("room-idle-seconds", po::value(&o.room_idle_seconds)->default_value(o.room_idle_seconds),
      "a named room without singers, song, recording or request for this long is released");
  std::vector<std::string> room_tokens;
  add("room-admin-token", po::value(&room_tokens)->composing(),
      "NAME=TOKEN: room NAME's own admin token instead of the server's (repeatable)");
  desc.add(settings);
  po::variables_map vm;       // command line, then the config file for what it left unset
  po::variables_map cli_vm;   // the command line alone
  po::variables_map file_vm;  // the config file alone
  std::string error;
  try {
    const auto cli = po::parse_command_line(argc, argv, desc);
    po::store(cli, vm);
    po::store(cli, cli_vm);
    const bool exits_now = vm.count("help") || vm.count("version");
    if (vm.count("config") && !exits_now) {
      store_config_file(vm["config"].as<std::string>(), settings, vm, file_vm);
    }
    po::notify(vm);
    if (!exits_now && !resolve_admin_token(cli_vm, file_vm, o, error)) {
      throw std::runtime_error(error);
    }
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
  o.share_encoders = !no_shared_encoding;
  o.stems = !no_stems;
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
  o.private_data = private_data;
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
  for (const auto& name : o.rooms) {
    if (const char* e = room_name_error(name)) {
      std::cerr << "brigade-server: --room '" << name << "': " << e << "\n";
      exit_code = 2;
      return std::nullopt;
    }
  }
  for (const auto& spec : room_tokens) {
    const auto eq = spec.find('=');
    const std::string name = spec.substr(0, eq);
    if (eq == std::string::npos || eq + 1 == spec.size() || room_name_error(name) != nullptr) {
      return bad("--room-admin-token must be NAME=TOKEN with a valid room name");
    }
    o.room_admin_tokens.emplace_back(name, spec.substr(eq + 1));
  }
  if (o.room_idle_seconds < 1 || o.room_idle_seconds > 7 * 24 * 3600) {
    return bad("--room-idle-seconds must be from 1 to 604800");
  }
  if (o.max_rooms > kMaxRoomsLimit) return bad("--max-rooms must be at most 1000");
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace brigade::server
