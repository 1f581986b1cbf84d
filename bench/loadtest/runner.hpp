// brigade-loadtest: drives a run on one io thread: starts singers with random phases, prints a
// progress line per second, runs the steady load, the ramp (steps until a gate fails) or the
// verify song, then stops everything and reports.
#pragma once

#include <memory>
#include <random>
#include <vector>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "http_pool.hpp"
#include "options.hpp"
#include "report.hpp"
#include "singer.hpp"
#include "stats.hpp"
#include "voice.hpp"
#include "ws_links.hpp"

namespace brigade::loadtest {

class Runner {
 public:
  Runner(net::io_context& io, const Options& options, net::ip::tcp::endpoint endpoint,
         const ParsedUrl& url);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// Schedules the run on the io_context; io.run() returns when it is over.
  void start();
  /// After io.run(): prints the report, writes --json, returns the exit status.
  int finish_report();

 private:
  void add_singers(int total);
  void tick();
  void progress_line(double t);
  void begin_window();
  Measurement measure(int singers) const;
  void ramp_tick(SteadyClock::time_point now);
  bool verify_done() const;
  /// --verify timing: prints the per-bucket table; returns the exit status it calls for.
  int report_timing(boost::json::object& root) const;
  void stop();
  /// TCP connections (or WebSockets) the run opened.
  std::uint64_t connections_opened() const;

  net::io_context& io_;
  Options o_;
  Clock n_samples_;
  PacketPool packets_;
  Stats stats_;
  SongState song_;
  std::unique_ptr<TimingRun> timing_;  ///< --verify timing
  RunContext ctx_;
  HttpPool pool_;
  std::unique_ptr<WsLinks> ws_;  ///< --transport ws
  std::mt19937_64 rng_;
  std::uint64_t id_base_;
  std::vector<std::unique_ptr<Singer>> singers_;
  net::steady_timer tick_;
  net::signal_set signals_;
  SteadyClock::time_point started_;
  bool stopped_ = false;
  bool interrupted_ = false;
  SteadyClock::time_point last_progress_;

  // Measurement window (the whole run, or the current ramp step).
  SteadyClock::time_point window_start_;
  std::vector<std::uint64_t> window_base_;  ///< exchanges per singer at window start
  std::vector<Measurement> steps_;
  Measurement final_;

  // Ramp.
  int step_singers_ = 0;
  SteadyClock::time_point settle_until_;
  bool measuring_ = false;
  int capacity_ = 0;
};

}  // namespace brigade::loadtest
