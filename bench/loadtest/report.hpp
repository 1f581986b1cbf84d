// brigade-loadtest: the end-of-run summary, as text and as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "options.hpp"
#include "stats.hpp"

namespace brigade::loadtest {

/// One measured span (the whole run, or one ramp step) with its verdict.
struct Measurement {
  int singers = 0;
  double seconds = 0.0;
  Tally tally;
  double intended_per_s = 0.0;                         ///< singers / batch
  std::uint64_t min_exchanges = 0, max_exchanges = 0;  ///< per singer
  double expected_exchanges = 0.0;                     ///< per singer
  bool held = true;                                    ///< passed the SLO gates
  std::vector<std::string> violations;
};

/// Applies --max-p99-ms / --max-error-rate to `m`.
void apply_gates(const Options& o, Measurement& m);

/// "p50 2.1  p90 3.0  …" lines and the errors, for a measurement.
std::string describe(const Measurement& m, double batch_s);

/// The JSON object of a measurement.
boost::json::object to_json(const Measurement& m);

}  // namespace brigade::loadtest
