// brigade: one timer for every pushing WebSocket of the server. Each socket used to run its
// own push timer (4 wake-ups a second per singer, a timer-heap insert and a handler each time);
// now one tick every kWsPushPeriod reads a few atomics per socket and wakes, on the socket's
// own strand, only those with something that may be due (ws_push.hpp says what).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace brigade::server {

class WsPushTicker {
 public:
  using Clock = std::chrono::steady_clock;

  /// A pushing socket, as the ticker sees it.
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    /// Something may be due at `now`. Runs on the ticker's thread: reads atomics only.
    virtual bool push_may_be_due(Clock::time_point now) const = 0;
    /// Look for what is due, on the socket's own strand (posts; never runs the push here).
    virtual void wake() = 0;
  };

  explicit WsPushTicker(boost::asio::any_io_executor executor);

  /// Wakes `subscriber` from the next tick on, for as long as it lives (a socket that goes
  /// away is forgotten at the tick after).
  void add(std::weak_ptr<Subscriber> subscriber);

  /// Sockets known to the ticker (those gone since the last tick included).
  std::size_t size() const;

 private:
  void arm();
  void tick();

  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;  ///< guarded by mutex_
};

}  // namespace brigade::server
