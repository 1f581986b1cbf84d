// brigade: how many connections the server holds, in all and per client address.
//
// Each connection costs a descriptor, a session and its buffers; one address must not take
// them all. Checked on accept: a connection beyond a limit gets a 503 and is closed. Behind a
// reverse proxy every client has the proxy's address: raise the per-address limit there.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace brigade::server {

struct ConnectionLimitsConfig {
  std::size_t max_total = 4096;
  std::size_t max_per_address = 256;
};

class ConnectionLimits {
 public:
  explicit ConnectionLimits(ConnectionLimitsConfig config) : config_(config) {}

  /// Held by a connection for its lifetime.
  class Ticket {
   public:
    Ticket(ConnectionLimits& limits, std::string address)
        : limits_(limits), address_(std::move(address)) {}
    ~Ticket() { limits_.release(address_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    ConnectionLimits& limits_;
    std::string address_;
  };

  /// A ticket for a connection from `address`, or null when a limit is reached.
  std::unique_ptr<Ticket> admit(const std::string& address);

  std::size_t total();

 private:
  void release(const std::string& address);

  const ConnectionLimitsConfig config_;
  std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace brigade::server
