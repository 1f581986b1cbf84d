// brigade: command-line flags of brigade-server.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace brigade::server {

struct Options {
  std::string listen = "127.0.0.1:8080";  ///< host:port; port 0 picks a free one
  std::string web_root;                   ///< directory served at /
  unsigned threads = 0;                   ///< 0 = hardware threads
  int max_users = 1000;
  std::string recordings_dir = "recordings";
  int keep_recordings = 20;
  std::string tracks_dir = "tracks";
  std::string admin_token;  ///< empty: room-wide controls are open to everyone
  /// Where admin_token came from, for the log (never the token itself): "--admin-token",
  /// "--admin-token-file PATH", "BRIGADE_ADMIN_TOKEN" or "" (no token).
  std::string admin_token_source;
  std::string config_file;  ///< --config FILE, or "" when none was given
  /// Read-only operators' token: sees what --private hides, controls nothing.
  std::string operator_token;
  /// Recordings, debug state, telemetry and metrics need the operator or admin token.
  bool private_data = false;
  /// "anyone" or "operators" (with --admin-token): who may take the lead before a song.
  std::string who_may_lead = "anyone";
  int leader_gone_seconds = 30;        ///< a song ends this long after its leader left
  int max_recording_minutes = 60;      ///< one recording's longest length
  long long max_recordings_mb = 2048;  ///< the recordings folder's size cap, MiB
  std::string log_level = "info";
  std::string log_format = "text";  ///< text|json
  /// On SIGTERM, how long a running song may go on before the server exits anyway, seconds.
  int drain_timeout_seconds = 60;
  bool share_encoders = true;  ///< false with --no-shared-encoding
  bool require_session_token = false;
  double singer_requests_per_second = 20.0;  ///< 0 = unlimited
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 256;
  std::size_t max_uploads = 4;        ///< in flight at once
  std::size_t max_upload_mib = 64;    ///< body bytes in flight, MiB
  std::size_t max_tracks = 100;       ///< stored in --tracks-dir
  std::size_t max_tracks_mib = 2048;  ///< their total size, MiB
  bool stems = true;                  ///< false with --no-stems
  /// Extra host:port listeners that answer the API at "/" (the original page's localhost mode).
  std::vector<std::string> root_api_listen;
  std::string instance_name;  ///< reported by action=status
  /// Named rooms (/r/<name>/) open at once besides the default room; 0 = none.
  std::size_t max_rooms = 8;
  /// --room NAME (repeatable): the only named rooms; empty = any valid name, made on first use.
  std::vector<std::string> rooms;
  /// A named room with no singer, song or request for this long is released, seconds.
  int room_idle_seconds = 300;
  /// --room-admin-token NAME=TOKEN (repeatable): that room's own admin token.
  std::vector<std::pair<std::string, std::string>> room_admin_tokens;
};

/// Environment variable that supplies the admin token when no flag does.
inline constexpr const char* kAdminTokenEnv = "BRIGADE_ADMIN_TOKEN";

/// Parses argv and, with --config FILE, that file (`key = value` lines named like the long
/// flags; the command line wins). The admin token comes from the command line, else the config
/// file, else BRIGADE_ADMIN_TOKEN; within one source --admin-token and --admin-token-file
/// exclude each other. Returns nothing and sets `exit_code` when the program should exit now
/// (--help, --version, or a bad flag, file or key, which prints one clear line).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace brigade::server
