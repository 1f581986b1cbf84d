// brigade: connection limits.
#include "connection_limits.hpp"

namespace brigade::server {

std::unique_ptr<ConnectionLimits::Ticket> ConnectionLimits::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (total_ >= config_.max_total) return nullptr;
  std::size_t& n = per_address_[address];
  if (n >= config_.max_per_address) return nullptr;
  ++n;
  ++total_;
  return std::make_unique<Ticket>(*this, address);
}

void ConnectionLimits::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  --total_;
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);
  }
}

std::size_t ConnectionLimits::total() {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace brigade::server
