// brigade client: child-process control for the real server (see server_process.hpp).
#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace brigade::client {
namespace {

constexpr std::string_view kListeningPrefix = "brigade-server listening on http://127.0.0.1:";

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

/// The port in a "listening" line, or 0 when `line` is not one.
std::uint16_t parse_listening_line(std::string_view line) {
  if (!line.starts_with(kListeningPrefix)) return 0;
  line.remove_prefix(kListeningPrefix.size());
  unsigned value = 0;
  std::size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9' && value <= 65535) {
    value = value * 10 + static_cast<unsigned>(line[digits] - '0');
    ++digits;
  }
  if (digits == 0 || value == 0 || value > 65535 || line.substr(digits) != "/") return 0;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions options) {
  std::vector<std::string> args = {options.binary, "--listen", "127.0.0.1:0"};
  if (!options.web_root.empty()) {
    args.emplace_back("--web-root");
    args.push_back(options.web_root);
  }
  args.insert(args.end(),
              {"--threads", std::to_string(options.threads), "--log-level", options.log_level});
  if (options.max_users > 0) {
    args.emplace_back("--max-users");
    args.push_back(std::to_string(options.max_users));
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw sys_error("pipe2");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw sys_error("fork");
  }
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test process, so a crashed
    // test never leaves a server holding ctest's output pipe.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dup2(fds[1], STDOUT_FILENO) < 0) _exit(127);
    if (options.capture_stderr && dup2(fds[1], STDERR_FILENO) < 0) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  stdout_fd_ = fds[0];

  // Read lines until the listening line, EOF (the child died) or the deadline.
  const auto deadline = std::chrono::steady_clock::now() + options.startup_timeout;
  std::string pending;
  while (port_ == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stop();
      throw std::runtime_error("server did not print its listening line within " +
                               std::to_string(options.startup_timeout.count()) +
                               " ms; stdout so far: " + output());
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    const int rc = poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) throw sys_error("poll");
    if (rc == 0) continue;
    char buf[4096];
    const ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int status = stop();
      throw std::runtime_error(options.binary + " exited before listening (wait status " +
                               std::to_string(status) + "); stdout: " + output());
    }
    {
      std::lock_guard lock(output_mutex_);
      output_.append(buf, static_cast<std::size_t>(n));
    }
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; port_ == 0 && (nl = pending.find('\n')) != std::string::npos;) {
      std::string_view line(pending.data(), nl);
      if (line.ends_with('\r')) line.remove_suffix(1);
      port_ = parse_listening_line(line);
      pending.erase(0, nl + 1);
    }
  }
  drainer_ = std::thread([this] { drain(); });
}

ServerProcess::~ServerProcess() {
  stop();
}

void ServerProcess::drain() {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    std::lock_guard lock(output_mutex_);
    output_.append(buf, static_cast<std::size_t>(n));
  }
}

bool ServerProcess::running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    wait_status_ = status;
    return false;
  }
  return true;
}

void ServerProcess::signal(int signal) {
  if (pid_ > 0 && running()) kill(pid_, signal);
}

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return wait_status_;
}

int ServerProcess::stop() {
  if (pid_ > 0 && !reaped_) {
    if (running()) kill(pid_, SIGINT);  // SIGTERM would drain a running song first
    const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
        wait_status_ = status;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (drainer_.joinable()) drainer_.join();
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return wait_status_;
}

std::string ServerProcess::output() const {
  std::lock_guard lock(output_mutex_);
  return output_;
}

bool ServerProcess::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (output().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace brigade::client
