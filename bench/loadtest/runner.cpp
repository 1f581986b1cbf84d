// brigade-loadtest: the run driver (see runner.hpp).
#include "runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "json_text.hpp"
#include "verify.hpp"

namespace brigade::loadtest {
namespace {

constexpr auto kTick = std::chrono::seconds(1);
/// A singer counts as active when its last good exchange is this recent (in batches).
constexpr int kActiveBatches = 3;
/// The leader asks for the lead when everyone has exchanged once, or after this long.
constexpr auto kLeadDeadline = std::chrono::seconds(6);
/// Ramp: seconds after adding singers before measuring (first connections, bucket reconnects).
constexpr double kSettleSeconds = 2.0;
constexpr double kFirstSettleSeconds = 5.0;
/// Verify: give up if the song has not run its course by then.
constexpr auto kVerifyLimit = std::chrono::seconds(55);
/// Seconds of Opus in the shared packet pool.
constexpr double kPoolSeconds = 12.0;

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

Clock samples_per_exchange(int batch_ms) {
  const long packets = std::max(1L, std::lround(batch_ms * 48.0 / kOpusFrameSamples));
  return packets * kOpusFrameSamples;
}

}  // namespace

Runner::Runner(net::io_context& io, const Options& options, net::ip::tcp::endpoint endpoint,
               const ParsedUrl& url)
    : io_(io),
      o_(options),
      n_samples_(samples_per_exchange(options.batch_ms)),
      packets_(kPoolSeconds, options.seed, spec(options.profile).upload_bitrate),
      pool_(io, endpoint, url.host + ":" + std::to_string(url.port),
            static_cast<std::size_t>(options.connections),
            std::chrono::milliseconds(options.timeout_ms)),
      rng_(options.seed),
      tick_(io),
      signals_(io, SIGINT, SIGTERM) {
  // User ids like the page's round(random()·1e11), consecutive so they never collide.
  id_base_ = std::uniform_int_distribution<std::uint64_t>(10'000'000'000, 80'000'000'000)(rng_);
  ctx_.pool = &pool_;
  if (o_.websocket) {
    // The page on a WebSocket has the summary pushed (?push=1) instead of asking for it.
    const bool pushes = o_.profile == Profile::kPage && o_.summary;
    ws_ = std::make_unique<WsLinks>(io, endpoint, url.host + ":" + std::to_string(url.port),
                                    url.path + (pushes ? "/ws?push=1" : "/ws"),
                                    static_cast<std::size_t>(options.singers),
                                    std::chrono::milliseconds(options.timeout_ms));
    ws_->on_push([this](std::size_t singer, std::size_t bytes) {
      stats_.pushed(bytes);
      if (ctx_.trace == nullptr) return;
      const double t = std::chrono::duration<double>(SteadyClock::now() - ctx_.origin).count();
      std::fprintf(ctx_.trace, "{\"t\": %.4f, \"singer\": %zu, \"push_bytes\": %zu}\n", t, singer,
                   bytes);
    });
    ctx_.ws = ws_.get();
    ctx_.pushes = pushes;
  }
  ctx_.stats = &stats_;
  ctx_.song = &song_;
  ctx_.packets = &packets_;
  ctx_.path = url.path;
  ctx_.n_samples = n_samples_;
  ctx_.batch = std::chrono::microseconds(n_samples_ * 1'000'000 / kSampleRate);
  // Verify modes write every exchange 1.2 s behind their reads (so every singer's tone lands
  // where the next buckets read it); otherwise the profile decides when uploads begin.
  if (o_.write_lag_ms || o_.verify || o_.timing) {
    ctx_.write_lag = Clock{o_.write_lag_ms.value_or(1'200)} * kSampleRate / 1000;
  }
  ctx_.profile = o_.profile;
  ctx_.latency = std::chrono::milliseconds(o_.latency_ms);
  if (!o_.trace_path.empty()) {
    ctx_.trace = std::fopen(o_.trace_path.c_str(), "w");
    if (ctx_.trace == nullptr) throw std::runtime_error("cannot write " + o_.trace_path);
  }
  ctx_.offset_s = o_.offset_s;
  ctx_.summary = o_.summary;
  ctx_.decode = o_.decode;
  ctx_.verify = o_.verify;
  if (o_.verify) {
    ctx_.verify_freqs = verify_tones(o_.singers);
    ctx_.probe_freqs = verify_probes(o_.singers);
    const VerifyWindow w = verify_window(*ctx_.write_lag, n_samples_);
    song_.stop_after = w.end + *ctx_.write_lag + n_samples_;
  }
  if (o_.timing) {
    timing_ = std::make_unique<TimingRun>(
        o_.singers, song_, static_cast<Clock>(std::lround(o_.timing_error_ms * kSampleRate / 1000)),
        o_.level_error_db);
    ctx_.timing = timing_.get();
    // The leader stops the song once its reads are past the last marker and the echoes of it.
    song_.stop_after =
        (timing_->plan().end_beat() + 2) * kBeatSamples + *ctx_.write_lag + n_samples_;
  }
  ctx_.clock_rate = 1.0 + o_.clock_drift_ppm * 1e-6;
  ctx_.reanchor = o_.reanchor;
  ctx_.faults = o_.faults;
  ctx_.encoder_complexity = o_.encoder_complexity;
  song_.enabled = o_.song;
}

Runner::~Runner() {
  if (ctx_.trace != nullptr) std::fclose(ctx_.trace);
}

void Runner::start() {
  started_ = SteadyClock::now();
  ctx_.origin = started_;
  const double batch_s = static_cast<double>(n_samples_) / kSampleRate;
  const std::string writes =
      ctx_.write_lag ? "write lag " + std::to_string(*ctx_.write_lag * 1000 / kSampleRate) + " ms"
                     : "uploads from the page's first full batch";
  std::printf(
      "brigade-loadtest: %s, profile %s, %d singers%s, batch %.0f ms (%lld samples), %d "
      "connections, %s, %s, audio: %zu voice packets of %.0f bytes (mean, %d kb/s)\n",
      o_.verify   ? "verify"
      : o_.timing ? "verify timing"
      : o_.ramp   ? "ramp"
                  : "load",
      std::string(spec(o_.profile).name).c_str(), o_.singers, o_.ramp ? " max" : "", batch_s * 1000,
      static_cast<long long>(n_samples_), o_.connections,
      o_.song ? "song (leader + server-assigned buckets)" : "no song", writes.c_str(),
      packets_.size(), packets_.mean_packet_bytes(), spec(o_.profile).upload_bitrate / 1000);
  // --faulty: which user ids misbehave, so an operator (or a test) can check the chart.
  for (std::size_t i = 0; i < o_.faults.size(); ++i) {
    if (o_.faults[i] == Fault::kNone) continue;
    std::printf("faulty singer: %s id=%llu name=load%zu\n",
                std::string(fault_name(o_.faults[i])).c_str(),
                static_cast<unsigned long long>(id_base_ + static_cast<std::uint64_t>(i)), i);
  }
  std::fflush(stdout);
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    interrupted_ = true;
    std::printf("interrupted: stopping\n");
    stop();
  });
  const int first = o_.ramp ? std::min(o_.ramp_start, o_.singers) : o_.singers;
  song_.active_needed = first;
  song_.lead_deadline = started_ + kLeadDeadline;
  add_singers(first);
  if (o_.ramp) {
    step_singers_ = first;
    settle_until_ = started_ + std::chrono::duration_cast<SteadyClock::duration>(
                                   std::chrono::duration<double>(kFirstSettleSeconds));
  } else {
    begin_window();
  }
  last_progress_ = started_;
  tick_.expires_at(started_ + kTick);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void Runner::add_singers(int total) {
  std::uniform_int_distribution<std::int64_t> phase(0, ctx_.batch.count() - 1);
  while (static_cast<int>(singers_.size()) < total) {
    const int index = static_cast<int>(singers_.size());
    const bool leader = o_.song && index == 0;
    singers_.push_back(std::make_unique<Singer>(io_, ctx_, index, id_base_ + index, leader,
                                                static_cast<std::uint32_t>(rng_())));
    singers_.back()->start(SteadyClock::duration(phase(rng_)));
  }
}

void Runner::begin_window() {
  stats_.reset_window();
  window_start_ = SteadyClock::now();
  window_base_.clear();
  for (const auto& s : singers_) window_base_.push_back(s->exchanges_ok());
}

Measurement Runner::measure(int singers) const {
  Measurement m;
  m.singers = singers;
  m.seconds = seconds_between(window_start_, SteadyClock::now());
  m.tally = stats_.window();
  const double batch_s = static_cast<double>(n_samples_) / kSampleRate;
  m.intended_per_s = singers / batch_s;
  m.expected_exchanges = m.seconds / batch_s;
  bool first = true;
  for (std::size_t i = 0; i < singers_.size(); ++i) {
    const std::uint64_t base = i < window_base_.size() ? window_base_[i] : 0;
    const std::uint64_t n = singers_[i]->exchanges_ok() - base;
    m.min_exchanges = first ? n : std::min(m.min_exchanges, n);
    m.max_exchanges = first ? n : std::max(m.max_exchanges, n);
    first = false;
  }
  apply_gates(o_, m);
  return m;
}

void Runner::progress_line(double t) {
  const auto now = SteadyClock::now();
  int active = 0;
  for (const auto& s : singers_) active += now - s->last_ok() < kActiveBatches * ctx_.batch ? 1 : 0;
  // Everything on the line is about the last second; the summary has the totals.
  const Tally& tally = stats_.interval();
  const auto& h = tally.latency;
  const double seconds = std::max(1e-3, seconds_between(last_progress_, now));
  std::printf(
      "[%5.1f s] singers %d/%zu active  %6.1f req/s  p50 %.2f ms  p99 %.2f ms  errors %llu  "
      "out %.1f KB/s%s\n",
      t, active, singers_.size(), static_cast<double>(tally.requests()) / seconds,
      static_cast<double>(h.quantile(0.5)) / 1000.0, static_cast<double>(h.quantile(0.99)) / 1000.0,
      static_cast<unsigned long long>(tally.error_count()),
      static_cast<double>(tally.bytes.response) / seconds / 1000.0,
      song_.start_clock > 1 ? (song_.end_clock > 1 ? "  [song ended]" : "  [song]") : "");
  std::fflush(stdout);
  stats_.reset_interval();
  last_progress_ = now;
}

void Runner::tick() {
  if (stopped_) return;
  const auto now = SteadyClock::now();
  const double t = seconds_between(started_, now);
  progress_line(t);
  if (o_.ramp) {
    ramp_tick(now);
  } else if (o_.verify || o_.timing) {
    // A timing run lasts as long as its markers need (300 singers: ~20 s of song).
    const auto limit =
        kVerifyLimit +
        (timing_
             ? std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(
                   static_cast<double>(timing_->plan().end_beat()) * kBeatSamples / kSampleRate))
             : SteadyClock::duration{});
    if (verify_done() || now - started_ >= limit) {
      final_ = measure(o_.singers);
      return stop();
    }
  } else if (t >= o_.duration_s - 1e-3) {
    final_ = measure(o_.singers);
    return stop();
  }
  if (stopped_) return;
  tick_.expires_at(tick_.expiry() + kTick);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void Runner::ramp_tick(SteadyClock::time_point now) {
  if (!measuring_) {
    if (now < settle_until_) return;
    begin_window();
    measuring_ = true;
    return;
  }
  if (seconds_between(window_start_, now) < o_.step_s - 1e-3) return;
  Measurement m = measure(step_singers_);
  std::printf("step: %d singers: %s; p99 %.2f ms, errors %llu / %llu, %.1f of %.1f exchanges/s\n",
              m.singers, m.held ? "held" : "FAILED",
              static_cast<double>(m.tally.latency.quantile(0.99)) / 1000.0,
              static_cast<unsigned long long>(m.tally.error_count()),
              static_cast<unsigned long long>(m.tally.requests()),
              static_cast<double>(m.tally.exchanges_ok) / m.seconds, m.intended_per_s);
  for (const auto& v : m.violations) std::printf("  gate: %s\n", v.c_str());
  std::fflush(stdout);
  const bool held = m.held;
  steps_.push_back(std::move(m));
  if (held) capacity_ = step_singers_;
  if (!held || step_singers_ >= o_.singers) return stop();
  step_singers_ = std::min(step_singers_ + o_.ramp_step, o_.singers);
  add_singers(step_singers_);
  measuring_ = false;
  settle_until_ = now + std::chrono::duration_cast<SteadyClock::duration>(
                            std::chrono::duration<double>(kSettleSeconds));
}

bool Runner::verify_done() const {
  if (song_.end_clock <= 1) return false;
  // Everyone has read past the end, plus two exchanges to check the silence after it.
  return std::all_of(singers_.begin(), singers_.end(), [&](const auto& s) {
    return s->read_end() >= song_.end_clock + 3 * n_samples_;
  });
}

int Runner::report_timing(boost::json::object& root) const {
  std::vector<TimingListener> listeners;
  for (const auto& s : singers_) listeners.push_back({s->bucket(), &s->echo()->detections()});
  TimingResult t = analyse_timing(timing_->plan(), listeners);
  if (song_.start_clock <= 1) {
    t.ok = false;
    t.problems.insert(t.problems.begin(), "the song never started");
  }
  std::printf("%s", t.table.c_str());
  for (const auto& p : t.problems) std::printf("TIMING: %s\n", p.c_str());
  std::printf("verify timing: %s\n",
              t.ok ? "every bucket hears every earlier singer on the beat (+-1 ms) at the volume "
                     "formula's level, and nobody later"
                   : "FAILED");
  t.json["passed"] = t.ok;
  root["timing"] = std::move(t.json);
  int status = t.ok ? 0 : 1;
  if (final_.tally.error_count() > 0) {
    std::printf("verify timing: FAILED: %llu request errors\n",
                static_cast<unsigned long long>(final_.tally.error_count()));
    status = 1;
  }
  return status;
}

std::uint64_t Runner::connections_opened() const {
  return ws_ ? ws_->connections_opened() : pool_.connections_opened();
}

void Runner::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& s : singers_) s->stop();
  pool_.shutdown();
  if (ws_) ws_->shutdown();
  tick_.cancel();
  signals_.cancel();
}

int Runner::finish_report() {
  const double wall = seconds_between(started_, SteadyClock::now());
  const double cpu = cpu_seconds();
  const double batch_s = static_cast<double>(n_samples_) / kSampleRate;
  boost::json::object root;
  root["tool"] = "brigade-loadtest";
  root["url"] = o_.url;
  root["mode"] = o_.verify ? "verify" : o_.timing ? "verify timing" : o_.ramp ? "ramp" : "load";
  root["clock_drift_ppm"] = o_.clock_drift_ppm;
  root["song"] = o_.song;
  root["batch_ms"] = batch_s * 1000.0;
  root["n_samples"] = n_samples_;
  root["connections"] = o_.connections;
  root["connections_opened"] = connections_opened();
  root["transport"] = o_.websocket ? "ws" : "http";
  root["profile"] = std::string(spec(o_.profile).name);
  if (ctx_.write_lag) {
    root["write_lag_ms"] = static_cast<double>(*ctx_.write_lag) * 1000.0 / kSampleRate;
  }
  root["user_summary"] = o_.summary;
  root["pushes"] = stats_.total().pushes;  // --transport ws with the page profile: ?push=1
  root["decode"] = o_.decode;
  root["tester_cpu_percent"] = wall > 0 ? 100.0 * cpu / wall : 0.0;
  std::uint64_t reconnects = 0;
  for (const auto& s : singers_) reconnects += s->reconnects();
  root["reconnects"] = reconnects;
  root["song_started"] = song_.start_clock > 1;
  if (o_.max_p99_ms) root["max_p99_ms"] = *o_.max_p99_ms;
  if (o_.max_error_rate) root["max_error_rate"] = *o_.max_error_rate;

  int status = 0;
  std::printf("\n");
  if (o_.ramp) {
    boost::json::array steps;
    for (const auto& m : steps_) steps.push_back(to_json(m));
    root["steps"] = std::move(steps);
    root["capacity"] = capacity_;
    std::printf("ramp: %zu steps\n", steps_.size());
    for (const auto& m : steps_) {
      std::printf(
          "  %5d singers  p50 %7.2f  p99 %7.2f  p99.9 %7.2f  max %7.2f ms  errors %llu  %s\n",
          m.singers, static_cast<double>(m.tally.latency.quantile(0.5)) / 1000.0,
          static_cast<double>(m.tally.latency.quantile(0.99)) / 1000.0,
          static_cast<double>(m.tally.latency.quantile(0.999)) / 1000.0,
          static_cast<double>(m.tally.latency.max()) / 1000.0,
          static_cast<unsigned long long>(m.tally.error_count()), m.held ? "held" : "failed");
    }
    const bool hit_max = !steps_.empty() && steps_.back().held;
    std::printf("capacity: %d singers%s\n", capacity_,
                hit_max ? " (every step held: the real limit is higher; raise --singers)" : "");
    if (capacity_ == 0) status = 1;
  } else {
    std::printf("%s", describe(final_, batch_s).c_str());
    for (const auto& v : final_.violations) std::printf("SLO violated: %s\n", v.c_str());
    if (!final_.held) status = 1;
    for (const auto& [k, v] : to_json(final_)) root[k] = v;
  }
  if (!stats_.examples().empty()) {
    boost::json::array ex;
    std::printf("first errors:\n");
    for (const auto& e : stats_.examples()) {
      std::printf("  %s\n", e.c_str());
      ex.push_back(boost::json::string(e));
    }
    root["error_examples"] = std::move(ex);
  }
  if (o_.verify) {
    std::vector<const Singer*> view;
    for (const auto& s : singers_) view.push_back(s.get());
    const VerifyResult v = analyse_verify(view, song_, *ctx_.write_lag, n_samples_);
    std::printf("%s", v.matrix_text.c_str());
    for (const auto& p : v.problems) std::printf("MISMATCH: %s\n", p.c_str());
    std::printf("verify: %s\n", v.ok ? "every singer hears exactly the earlier buckets" : "FAILED");
    root["verify"] = v.json;
    if (!v.ok) status = 1;
    if (final_.tally.error_count() > 0) {
      std::printf("verify: FAILED: %llu request errors\n",
                  static_cast<unsigned long long>(final_.tally.error_count()));
      status = 1;
    }
  }
  if (o_.timing) status = std::max(status, report_timing(root));
  {
    Clock max_drift = 0;
    std::uint64_t reanchors = 0;
    for (const auto& s : singers_) {
      max_drift = std::max(max_drift, s->max_drift());
      reanchors += s->reanchors();
    }
    const double drift_ms = static_cast<double>(max_drift) * 1000.0 / kSampleRate;
    std::printf(
        "clock: singers' clocks %+.0f ppm; reads vs server clock: max |drift| %.1f ms "
        "(1 frame = %.0f ms), %llu re-anchors%s\n",
        o_.clock_drift_ppm, drift_ms, 1000.0 * kOpusFrameSamples / kSampleRate,
        static_cast<unsigned long long>(reanchors), o_.reanchor ? "" : " (--no-reanchor)");
    boost::json::object c;
    c["ppm"] = o_.clock_drift_ppm;
    c["reanchor"] = o_.reanchor;
    c["max_abs_drift_ms"] = drift_ms;
    c["reanchors"] = reanchors;
    root["clock_drift"] = std::move(c);
  }
  std::printf(
      "tester: %.1f s wall, %.1f%% of one core, %llu TCP connections opened, %llu reconnects\n",
      wall, wall > 0 ? 100.0 * cpu / wall : 0.0,
      static_cast<unsigned long long>(connections_opened()),
      static_cast<unsigned long long>(reconnects));
  if (interrupted_) status = 1;
  root["passed"] = status == 0;
  if (!o_.json_path.empty()) {
    std::ofstream f(o_.json_path);
    f << to_json_text(root) << "\n";
    if (!f) {
      std::fprintf(stderr, "brigade-loadtest: cannot write %s\n", o_.json_path.c_str());
      status = 2;
    }
  }
  std::fflush(stdout);
  return status;
}

}  // namespace brigade::loadtest
