// brigade: graceful drain.
#include "drain.hpp"

#include <csignal>

#include "log.hpp"
#include "room_log.hpp"

namespace brigade::server {

Drain::Drain(boost::asio::io_context& ioc, RoomDirectory& rooms, std::chrono::seconds timeout,
             std::function<void()> stop)
    : rooms_(rooms),
      room_(rooms.default_room().room()),
      readiness_(rooms.default_room().router().readiness()),
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
  rooms_.start_draining();
  const RoomStatus st = room_.status();
  const char* done = drain_done();  // finds the rooms to wait for
  // song and singers: the default room's (as before rooms); waiting_for: every room's songs.
  log_event(LogLevel::kInfo, "drain_started",
            {{"signal", name},
             {"timeout_s", static_cast<long long>(timeout_.count())},
             {"song", to_string(st.song_phase)},
             {"singers", st.n_connected_users},
             {"waiting_for", join_room_names(wait_.waiting())}});
  signals_.async_wait([this](const boost::system::error_code& ec, int next) {
    if (!ec) on_signal(next);
  });
  if (done) return finish(done);
}

std::vector<DrainRoomState> Drain::room_states() {
  std::vector<DrainRoomState> out;
  for (auto& r : rooms_.list()) out.push_back({std::move(r.name), r.phase, r.singers});
  return out;
}

const char* Drain::drain_done() {
  for (const auto& ended : wait_.update(room_states())) {
    log_event(LogLevel::kInfo, "drain_room_done", {{"room", ended.room}, {"reason", ended.reason}});
  }
  readiness_.set_drain_waiting(wait_.waiting());
  if (wait_.waiting().empty()) {
    return wait_.waited() ? wait_.last_reason() : "no song running";
  }
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
    if (wait_.waiting().empty()) {
      log_event(LogLevel::kInfo, "drain_finished", {{"reason", reason}, {"waited_s", waited}});
    } else {  // the timeout: the rooms whose songs it cuts
      log_event(
          LogLevel::kInfo, "drain_finished",
          {{"reason", reason}, {"waited_s", waited}, {"cut", join_room_names(wait_.waiting())}});
    }
  }
  // Departures and suppressed counts that the next housekeeping tick would have written.
  room_.sweep_departures();
  log_room_events(room_);
  rooms_.housekeeping();  // the named rooms' departures and events
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
