// brigade: graceful drain.
#include "drain.hpp"

#include <csignal>

#include "log.hpp"
#include "room_log.hpp"

namespace brigade::server {

Drain::Drain(boost::asio::io_context& ioc, Room& room, Readiness& readiness,
             std::chrono::seconds timeout, std::function<void()> stop)
    : room_(room),
      readiness_(readiness),
      timeout_(timeout),
      stop_(std::move(stop)),
      strand_(boost::asio::make_strand(ioc)),
      signals_(strand_, SIGINT, SIGTERM),
      timer_(strand_) {}

void Drain::start() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (!ec) on_signal(signal);
  });
  timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void Drain::on_signal(int signal) {
  const char* name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
  if (draining_ || signal != SIGTERM || timeout_.count() == 0) {
    log_event(LogLevel::kInfo, "shutdown",
              {{"signal", name}, {"drain", draining_ ? "cut short" : "none"}});
    return finish(nullptr);
  }
  draining_ = true;
  drain_start_ = std::chrono::steady_clock::now();
  readiness_.start_draining();
  const RoomStatus st = room_.status();
  log_event(LogLevel::kInfo, "drain_started",
            {{"signal", name},
             {"timeout_s", static_cast<long long>(timeout_.count())},
             {"song", to_string(st.song_phase)},
             {"singers", st.n_connected_users}});
  signals_.async_wait([this](const boost::system::error_code& ec, int next) {
    if (!ec) on_signal(next);
  });
  if (const char* reason = drain_done()) return finish(reason);
  waited_for_song_ = true;
}

const char* Drain::drain_done() {
  const RoomStatus st = room_.status();
  if (st.song_phase != SongPhase::kSinging && st.song_phase != SongPhase::kFinishing) {
    return waited_for_song_ ? "song finished" : "no song running";
  }
  // A song nobody sings any more would never end by itself.
  if (st.song_phase == SongPhase::kSinging && st.n_connected_users == 0) return "singers left";
  if (std::chrono::steady_clock::now() - drain_start_ >= timeout_) return "timeout";
  return nullptr;
}

void Drain::finish(const char* reason) {
  if (stopped_) return;
  stopped_ = true;
  if (reason) {
    const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - drain_start_);
    const double waited = static_cast<double>(waited_ms.count()) / 1000.0;
    log_event(LogLevel::kInfo, "drain_finished", {{"reason", reason}, {"waited_s", waited}});
  }
  // Departures and suppressed counts that the next housekeeping tick would have written.
  room_.sweep_departures();
  log_room_events(room_);
  log_flush_suppressed();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  timer_.cancel();
  stop_();
}

void Drain::on_tick() {
  if (stopped_) return;
  if (++ticks_ % kHousekeepingTicks == 0) {
    room_.sweep_departures();
    log_room_events(room_);
    log_flush_suppressed();
  }
  if (draining_) {
    if (const char* reason = drain_done()) return finish(reason);
  }
  timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

}  // namespace brigade::server
