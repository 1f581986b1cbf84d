// brigade-loadtest: counters of one run: latency histograms (whole run and current window),
// successes, and errors by kind. Single-threaded (the io thread owns it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "histogram.hpp"

namespace brigade::loadtest {

/// Bytes of one completed request.
struct Transfer {
  std::uint64_t request = 0;   ///< request as sent (head and body)
  std::uint64_t response = 0;  ///< response as received (head and body)
  std::uint64_t summary = 0;   ///< the user-summary block of an exchange reply (count included)
  std::uint64_t audio = 0;     ///< the Opus container of an exchange reply
};

/// Counters over some span of time.
struct Tally {
  LatencyHistogram latency;  ///< every answered request (errors included, failed connects not)
  std::uint64_t exchanges_ok = 0;               ///< audio POSTs answered 200 and well-formed
  std::uint64_t clock_gets_ok = 0;              ///< clock GETs answered 200
  std::map<std::string, std::uint64_t> errors;  ///< "http_500", "timeout", "connect", ...
  Transfer bytes;                               ///< summed over completed requests
  std::uint64_t pushes = 0;                     ///< WebSocket pushes received (?push=1)

  std::uint64_t error_count() const;
  std::uint64_t requests() const { return exchanges_ok + clock_gets_ok + error_count(); }
  double error_rate() const;
  void merge(const Tally& other);
};

class Stats {
 public:
  /// Examples of error texts kept for the report.
  static constexpr std::size_t kMaxExamples = 5;

  void ok(std::int64_t micros, bool exchange, const Transfer& bytes);
  /// A server push (--transport ws, ?push=1): its bytes count as received, as a summary's.
  void pushed(std::uint64_t wire_bytes);
  /// An error; `has_latency` is false when no request reached the server (a failed connect).
  void error(const std::string& kind, std::int64_t micros, const std::string& detail,
             bool has_latency = true);

  const Tally& total() const { return total_; }
  const Tally& window() const { return window_; }
  const Tally& interval() const { return interval_; }
  /// Starts a new window (a ramp step's measurement).
  void reset_window() { window_ = Tally{}; }
  /// Starts a new progress-line interval.
  void reset_interval() { interval_ = Tally{}; }
  const std::vector<std::string>& examples() const { return examples_; }

 private:
  Tally total_;
  Tally window_;
  Tally interval_;
  std::vector<std::string> examples_;
};

}  // namespace brigade::loadtest
