// brigade: what GET /readyz reports: whether a load balancer should send this server new
// singers. Set by main (listening, draining); read by the router and the exchange path.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace brigade::server {

class Readiness {
 public:
  /// `recordings_dir` empty: recording is off and not checked.
  explicit Readiness(std::filesystem::path recordings_dir = {})
      : recordings_dir_(std::move(recordings_dir)) {}

  /// The listener is accepting connections.
  void set_listening(bool on) { listening_.store(on, std::memory_order_release); }
  /// The first SIGTERM: new singers are refused from now on; not reversible.
  void start_draining() { draining_.store(true, std::memory_order_release); }
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  /// Why the server is not ready ("draining", "not listening", "rings not allocated",
  /// "recordings folder not writable"), or empty when it is ready. Checks the folder with
  /// access(2) each call: cheap, and a probe runs a few times a minute.
  std::string_view not_ready_reason(bool rings_allocated) const;

  /// The rooms whose songs the drain waits for (set by the drain each tick; /readyz lists them).
  void set_drain_waiting(std::vector<std::string> rooms) {
    std::lock_guard lock(waiting_mutex_);
    drain_waiting_ = std::move(rooms);
  }
  std::vector<std::string> drain_waiting() const {
    std::lock_guard lock(waiting_mutex_);
    return drain_waiting_;
  }

 private:
  std::filesystem::path recordings_dir_;
  std::atomic<bool> listening_{false};
  std::atomic<bool> draining_{false};
  mutable std::mutex waiting_mutex_;  ///< guards drain_waiting_ (not the exchange path)
  std::vector<std::string> drain_waiting_;
};

}  // namespace brigade::server
