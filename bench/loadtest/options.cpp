// brigade-loadtest: command-line flags (see options.hpp).
#include "options.hpp"

#include <cmath>
#include <iostream>
#include <vector>

#include <boost/program_options.hpp>

namespace brigade::loadtest {
namespace {

/// The server's room-name rule (server/room_name.hpp), checked here so a typo fails at once.
bool valid_room_name(const std::string& name) {
  constexpr std::size_t kMaxRoomNameChars = 32;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > kMaxRoomNameChars || !alnum(name.front())) return false;
  for (const char c : name) {
    if (!alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  namespace po = boost::program_options;
  Options o;
  double max_p99 = 0.0, max_err = 0.0;
  int write_lag = 0;
  std::string profile = "page";
  std::string transport = "http";
  std::string faulty;
  po::options_description d(
      "brigade-loadtest: simulated singers speaking the Bucket Brigade API\n"
      "usage: brigade-loadtest --url http://127.0.0.1:8080/api --singers N [options]\n"
      "(--url is required: nothing is sent to a default address)");
  // clang-format off
  d.add_options()
    ("help,h", "this text")
    ("url", po::value(&o.url), "API base URL (http only), e.g. http://127.0.0.1:8080/api (required)")
    ("room", po::value(&o.room), "sing in room NAME of the server: --url's path gets the prefix /r/NAME (http://HOST:PORT/api → /r/NAME/api)")
    ("profile", po::value(&profile)->default_value(profile), "client to imitate: page (brigade's singer page, request for request) or original (the original Bucket Brigade client)")
    ("transport", po::value(&transport)->default_value(transport), "http (requests over keep-alive connections) or ws (one WebSocket per singer at URL/ws, same requests as messages)")
    ("latency-ms", po::value(&o.latency_ms)->default_value(o.latency_ms), "the simulated singers' audio round-trip latency (delays their first upload as on the page)")
    ("trace", po::value(&o.trace_path), "write one JSON line per request sent (method, target, body bytes, time) to this file")
    ("singers", po::value(&o.singers)->default_value(o.singers), "simulated singers (maximum with --ramp)")
    ("duration", po::value(&o.duration_s)->default_value(o.duration_s), "run length in seconds")
    ("batch-ms", po::value(&o.batch_ms)->default_value(o.batch_ms), "audio per exchange (the page's batch), ms")
    ("connections", po::value(&o.connections)->default_value(o.connections), "keep-alive connections; 0 = one per singer, as each browser has its own")
    ("decode", po::bool_switch(&o.decode), "decode reply audio (on with --verify)")
    ("no-song", "no leader and no song: the original stress.py load (uploads not mixed)")
    ("no-summary", "never ask for the user summary (the profiles ask as their client does)")
    ("offset", po::value(&o.offset_s)->default_value(o.offset_s), "initial read offset behind the server clock, s")
    ("write-lag-ms", po::value(&write_lag), "write_clock = read_clock - lag (default 0; 1200 with --verify)")
    ("timeout-ms", po::value(&o.timeout_ms)->default_value(o.timeout_ms), "per-request timeout; 0 = the client's (8000)")
    ("json", po::value(&o.json_path), "write the results as JSON to this file")
    ("max-p99-ms", po::value(&max_p99), "SLO: fail (exit 1) when p99 latency exceeds this")
    ("max-error-rate", po::value(&max_err), "SLO: fail (exit 1) when errors/requests exceeds this")
    ("ramp", po::bool_switch(&o.ramp), "add singers in steps until a gate fails; report capacity")
    ("ramp-start", po::value(&o.ramp_start)->default_value(o.ramp_start), "singers in the first step")
    ("ramp-step", po::value(&o.ramp_step)->default_value(o.ramp_step), "singers added per step")
    ("step-duration", po::value(&o.step_s)->default_value(o.step_s), "measured seconds per step")
    ("verify", po::bool_switch(&o.verify), "tones per singer; check who hears whom; exit 1 on mismatch.\n"
     "--verify timing: echo singers with markers on a beat grid; check every bucket hears them "
     "on time (+-1 ms) and at the volume formula's level")
    ("no-reanchor", "do not re-anchor a singer whose clock drifts from the server's (see --clock-drift-ppm)")
    ("timing-error-ms", po::value(&o.timing_error_ms)->default_value(0.0), "--verify timing: echo singers sing this many ms late (to see the check fail)")
    ("level-error-db", po::value(&o.level_error_db)->default_value(0.0), "--verify timing: singers sing their markers this many dB louder (to see the level check fail)")
    ("encoder-complexity", po::value(&o.encoder_complexity)->default_value(10), "libopus complexity 0-10 of the simulated singers' own encoders (--verify): lower is cheaper for the tester")
    ("clock-drift-ppm", po::value(&o.clock_drift_ppm)->default_value(0.0), "singers' clocks run this many ppm fast (negative: slow)")
    ("faulty", po::value(&faulty), "make a few singers misbehave for the operators' chart, e.g. late:2,silent:1,miscalibrated:1 (late: every third request 400 ms late; silent: uploads silence; miscalibrated: writes 400 ms early); the last singers are the faulty ones, their ids are printed")
    ("seed", po::value(&o.seed)->default_value(o.seed), "random seed (phases, user ids, audio)");
  // clang-format on
  // `--verify timing` (or --verify=timing) selects the timing check; a bare --verify the
  // who-hears-whom check.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--verify=timing" ||
        (args[i] == "--verify" && i + 1 < args.size() && args[i + 1] == "timing")) {
      o.timing = true;
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(i + (args[i] == "--verify" ? 2 : 1)));
      break;
    }
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(d).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "brigade-loadtest: " << e.what() << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << d << "\n";
    exit_code = 0;
    return std::nullopt;
  }
  o.song = vm.count("no-song") == 0;
  o.summary = vm.count("no-summary") == 0;
  o.reanchor = vm.count("no-reanchor") == 0;
  if (vm.count("write-lag-ms")) o.write_lag_ms = write_lag;
  if (vm.count("max-p99-ms")) o.max_p99_ms = max_p99;
  if (vm.count("max-error-rate")) o.max_error_rate = max_err;
  std::string bad;
  if (const auto p = parse_profile(profile)) {
    o.profile = *p;
  } else {
    bad = "--profile must be page or original";
  }
  if (transport == "ws" || transport == "http") {
    o.websocket = transport == "ws";
  } else {
    bad = "--transport must be ws or http";
  }
  if (o.url.empty()) bad = "--url is required (e.g. --url http://127.0.0.1:8080/api)";
  if (!o.room.empty() && !valid_room_name(o.room))
    bad = "--room must be 1-32 characters of a-z, 0-9, '-' and '_', starting with a-z or 0-9";
  if (o.latency_ms < 0 || o.latency_ms > 2'000) bad = "--latency-ms must be 0..2000";
  if (o.singers < 1 || o.singers > 100'000) bad = "--singers must be 1..100000";
  if (o.batch_ms < 60 || o.batch_ms > 5'000) bad = "--batch-ms must be 60..5000";
  if (o.duration_s <= 0 || o.duration_s > 86'400) bad = "--duration must be in (0, 86400]";
  if (o.offset_s < 1.0 || o.offset_s > 100.0) bad = "--offset must be 1..100 s";
  if (o.timeout_ms != 0 && o.timeout_ms < 10) bad = "--timeout-ms must be 0 or >= 10";
  if (o.ramp && (o.ramp_start < 1 || o.ramp_step < 1 || o.step_s < 1.0))
    bad = "--ramp-start, --ramp-step must be >= 1 and --step-duration >= 1 s";
  if (o.timing && o.verify) bad = "--verify and --verify timing are exclusive";
  if (o.timing && o.ramp) bad = "--verify timing and --ramp are exclusive";
  if (o.timing && !o.song) bad = "--verify timing needs a song (drop --no-song)";
  if (o.timing && o.singers < 2) bad = "--verify timing needs at least 2 singers";
  if (o.encoder_complexity < 0 || o.encoder_complexity > 10)
    bad = "--encoder-complexity must be 0 to 10";
  if (std::abs(o.clock_drift_ppm) > 10'000.0) bad = "--clock-drift-ppm must be within +-10000";
  if (std::abs(o.timing_error_ms) > 4.0) bad = "--timing-error-ms must be within +-4";
  if (std::abs(o.level_error_db) > 6.0) bad = "--level-error-db must be within +-6";
  if (o.verify && o.ramp) bad = "--verify and --ramp are exclusive";
  if (o.verify && !o.song) bad = "--verify needs a song (drop --no-song)";
  if (o.verify && (o.singers < 2 || o.singers > 24)) bad = "--verify needs 2..24 singers";
  if (o.write_lag_ms && (*o.write_lag_ms < 0 || *o.write_lag_ms > 2'500))
    bad = "--write-lag-ms must be 0..2500";
  if (bad.empty() && !faulty.empty()) {
    if (o.verify || o.timing || o.ramp) {
      bad = "--faulty is for load runs (not --verify or --ramp)";
    } else if (auto f = parse_faults(faulty, o.singers, bad)) {
      o.faults = std::move(*f);
    }
  }
  if (!bad.empty()) {
    std::cerr << "brigade-loadtest: " << bad << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (o.verify || o.timing) o.decode = true;
  if (o.connections <= 0) o.connections = o.singers;
  if (o.timeout_ms == 0) o.timeout_ms = spec(o.profile).default_timeout_ms;
  return o;
}

}  // namespace brigade::loadtest
