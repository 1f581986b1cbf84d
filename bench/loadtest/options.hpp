// brigade-loadtest: command-line flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fault.hpp"
#include "profile.hpp"

namespace brigade::loadtest {

struct Options {
  std::string url;                   ///< API base, as the page's apiPath (required)
  Profile profile = Profile::kPage;  ///< which client each singer imitates
  int latency_ms = 120;      ///< the simulated singer's round-trip audio latency (page setting)
  std::string trace_path;    ///< --trace FILE: one JSON line per request sent
  int singers = 100;         ///< simulated singers (the maximum, with --ramp)
  double duration_s = 30.0;  ///< steady-state run length (not for --verify / --ramp)
  int batch_ms = 600;        ///< the page's batch, rounded to whole 60 ms packets
  int connections = 0;       ///< keep-alive pool size; 0 → one per singer (as browsers)
  bool decode = false;       ///< decode reply audio (always on with --verify)
  bool song = true;          ///< a leader leads and starts a song; --no-song: stress.py load
  bool summary = true;       ///< ask for the user summary as the client does
  double offset_s = 12.0;    ///< initial "time travel" offset before buckets are assigned
  std::optional<int> write_lag_ms;  ///< write_clock = read_clock - lag; default 0 (1200 in verify)
  int timeout_ms = 0;               ///< per request; 0 → the profile's (the page: 8 s)
  std::string json_path;            ///< --json FILE
  std::optional<double> max_p99_ms;
  std::optional<double> max_error_rate;
  bool ramp = false;
  int ramp_start = 50;
  int ramp_step = 50;
  double step_s = 10.0;  ///< measured seconds per ramp step (after a settling second)
  bool verify = false;
  bool timing = false;  ///< --verify timing: echo singers, markers checked to the millisecond
  double clock_drift_ppm = 0.0;  ///< singers' clocks run this much fast (negative: slow)
  bool reanchor = true;          ///< --no-reanchor: let a drifting singer drift
  double timing_error_ms = 0.0;  ///< --verify timing: singers sing this late (a wrong singer)
  double level_error_db = 0.0;   ///< --verify timing: singers sing their markers this much louder
  /// libopus complexity of the singers' own encoders (--verify): 10 is what the server and a
  /// browser use; 0 encodes ~3.4x cheaper, so one tester core holds more echo singers.
  int encoder_complexity = 10;
  std::uint32_t seed = 1;
  /// --transport ws: each singer speaks over its own WebSocket (PATH/ws) instead of HTTP.
  bool websocket = false;
  /// --faulty: one fault per singer index (empty: nobody is broken).
  std::vector<Fault> faults;
  /// --room NAME: sing in the server's room NAME (the URL's path gets the /r/NAME prefix).
  std::string room;
};

/// Parses argv. Returns nothing (and sets exit_code) for --help or a bad flag.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace brigade::loadtest
