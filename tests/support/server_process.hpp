// brigade client: the real brigade-server binary as a child process, for integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace brigade::client {

/// How to start the server. `binary` and `web_root` usually come from compile definitions.
struct ServerOptions {
  std::string binary;
  std::string web_root;  ///< "" → no --web-root flag (the server's own default)
  int threads = 2;
  int max_users = 0;  ///< 0 → the server's default (flag not passed)
  std::string log_level = "warn";
  std::vector<std::string> extra_args;
  /// Send the child's stderr (its log) into the same pipe as stdout, so output() has both.
  bool capture_stderr = false;
  /// How long to wait for the "listening" line.
  std::chrono::milliseconds startup_timeout{15'000};
};

/// Starts `binary --listen 127.0.0.1:0 --web-root DIR …`, waits for the line
/// `brigade-server listening on http://127.0.0.1:PORT/` on its stdout, then keeps draining
/// stdout on a thread (so the child never blocks on a full pipe). The destructor stops it:
/// SIGINT (stop now; SIGTERM would wait for a running song), then SIGKILL after kStopGrace.
/// Throws std::runtime_error when start-up fails.
class ServerProcess {
 public:
  /// Time the child gets to exit after SIGINT before it is killed.
  static constexpr std::chrono::milliseconds kStopGrace{5'000};

  explicit ServerProcess(ServerOptions options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// Whether the child is still running (does not reap it).
  bool running();

  /// Sends `signal` to the child (no-op once it has been reaped).
  void signal(int signal);

  /// Waits up to `timeout` for the child to exit by itself; its wait status, or -1 when it is
  /// still running at the deadline.
  int wait_exit(std::chrono::milliseconds timeout);

  /// Stops the child (SIGINT, SIGKILL after kStopGrace) and returns its wait status as
  /// waitpid reports it. Idempotent: later calls return the same status.
  int stop();

  /// Everything the child wrote to stdout so far (the listening line included).
  std::string output() const;

  /// Waits up to `timeout` until output() contains `text`: log lines written after the
  /// listening line (e.g. "started") may still be on their way when the port is known.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout);

 private:
  void drain();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  bool reaped_ = false;
  int wait_status_ = 0;
  mutable std::mutex output_mutex_;
  std::string output_;  ///< guarded by output_mutex_
  std::thread drainer_;
};

}  // namespace brigade::client
