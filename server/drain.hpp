// brigade: signals and the graceful drain. SIGTERM: refuse new singers in every room (readyz
// fails), let the songs running in any room finish for at most the drain timeout, then stop.
// SIGINT, or any second signal: stop at once. Either way main() then finishes the recording before
// exiting 0. Also runs the once-a-second housekeeping that logs departures and suppressed-line
// counts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <functional>
#include <vector>

#include "drain_wait.hpp"
#include "readiness.hpp"
#include "room_directory.hpp"

namespace brigade::server {

class Drain {
 public:
  /// How often the drain checks the rooms' songs, and the housekeeping period's unit.
  static constexpr std::chrono::milliseconds kTick{250};
  /// Departures and suppressed-line counts are logged every this many ticks (1 s).
  static constexpr int kHousekeepingTicks = 4;

  /// `stop` closes the listener and stops the io_context; it is called once. The housekeeping
  /// here is the default room's; the drain waits for the songs of every room of `rooms`.
  Drain(boost::asio::io_context& ioc, RoomDirectory& rooms, std::chrono::seconds timeout,
        std::function<void()> stop);

  /// Starts waiting for signals and the housekeeping timer.
  void start();

 private:
  void on_signal(int signal);
  void on_tick();
  /// Why the drain may end now, or nullptr while a song in some room still needs the server.
  const char* drain_done();
  std::vector<DrainRoomState> room_states();
  void finish(const char* reason);

  RoomDirectory& rooms_;
  Room& room_;            ///< the default room (its housekeeping)
  Readiness& readiness_;  ///< the default room's: /readyz, and where named rooms copy it from
  const std::chrono::seconds timeout_;
  std::function<void()> stop_;
  /// Signals and ticks run on one strand, so the state above needs no lock.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer timer_;
  int ticks_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
  DrainWait wait_;  ///< the rooms whose songs the drain waits for
  std::chrono::steady_clock::time_point drain_start_{};
};

}  // namespace brigade::server
