// brigade: the pushing sockets' shared timer.
#include "ws_push_ticker.hpp"

#include <boost/asio/strand.hpp>

#include "ws_push.hpp"

namespace brigade::server {

WsPushTicker::WsPushTicker(boost::asio::any_io_executor executor)
    : timer_(boost::asio::make_strand(std::move(executor))) {}

void WsPushTicker::add(std::weak_ptr<Subscriber> subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(std::move(subscriber));
  if (!armed_) arm();
}

std::size_t WsPushTicker::size() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

// Caller holds mutex_.
void WsPushTicker::arm() {
  armed_ = true;
  timer_.expires_after(kWsPushPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void WsPushTicker::tick() {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < subscribers_.size();) {
    const std::shared_ptr<Subscriber> s = subscribers_[i].lock();
    if (!s) {  // its socket is gone: swap-remove (the order of wake-ups does not matter)
      subscribers_[i] = std::move(subscribers_.back());
      subscribers_.pop_back();
      continue;
    }
    if (s->push_may_be_due(now)) s->wake();
    ++i;
  }
  armed_ = false;
  if (!subscribers_.empty()) arm();  // no pushing socket: no tick
}

}  // namespace brigade::server
