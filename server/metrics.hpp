// brigade: server counters for GET /metrics (Prometheus text) and /api/telemetry.
// Lock-free atomics, updated once per request outside the room lock; no per-singer labels.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "brigade/engine/song_phase.hpp"
#include "error_reason.hpp"
#include "process_stats.hpp"
#include "summary_pace.hpp"

namespace brigade::server {

class Metrics {
 public:
  /// Upper bounds (seconds) of the request-latency histogram buckets; +Inf is implicit.
  static constexpr std::array<double, 12> kLatencyBounds{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                         0.05,   0.1,   0.2,   0.5,   1.0,  2.0};

  /// One answered request: its status, handling time, and bytes in and out.
  void record_request(unsigned status, std::chrono::nanoseconds elapsed, std::size_t bytes_in,
                      std::size_t bytes_out);
  void add_decode(std::chrono::nanoseconds t) { add(decode_ns_, t); }
  void add_encode(std::chrono::nanoseconds t) { add(encode_ns_, t); }
  /// One failure of kind `reason` (kNone is ignored).
  void record_error(ErrorReason reason) {
    errors_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t errors(ErrorReason reason) const {
    return errors_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }
  /// One WebSocket push queued (?push=1): a summary or chat lines, and its bytes.
  void add_ws_push(bool summary, std::size_t bytes) {
    (summary ? ws_summary_pushes_ : ws_chat_pushes_).fetch_add(1, std::memory_order_relaxed);
    ws_push_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  /// One reply to a request that asked for the user summary: sent in full, or left out
  /// (the client holds its version, or its pace holds a changed listing back), and its bytes.
  void add_summary(SummaryReply kind, std::size_t bytes) {
    summaries_[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
    summary_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }

  /// Gauges and room counters sampled at render time.
  struct Gauges {
    std::string_view version = "unknown";  ///< brigade_build_info{version}
    int active_singers = 0;
    std::uint64_t ring_clears = 0;
    std::uint64_t cleared_samples = 0;
    std::uint64_t shared_frames_encoded = 0;
    std::uint64_t shared_frames_reused = 0;
    std::uint64_t shared_frames_missed = 0;
    std::int64_t ring_occupied_frames = 0;  ///< of kRingFrames
    SongPhase song_phase = SongPhase::kIdle;
    bool ready = false;     ///< what /readyz answers
    bool draining = false;  ///< shutting down, refusing new singers
    ProcessStats process;
    std::uint64_t unshared_frames = 0;
    std::uint64_t shared_whole_replies = 0;
  };
  /// The Prometheus text exposition (format 0.0.4).
  std::string prometheus(const Gauges& gauges) const;

  std::uint64_t requests() const;

 private:
  /// Status codes we answer with; anything else counts as "other".
  static constexpr std::array<unsigned, 14> kStatuses{200, 400, 403, 404, 405, 408, 413,
                                                      415, 429, 431, 500, 503, 507, 0};
  static void add(std::atomic<std::uint64_t>& a, std::chrono::nanoseconds t) {
    a.fetch_add(static_cast<std::uint64_t>(t.count()), std::memory_order_relaxed);
  }

  std::array<std::atomic<std::uint64_t>, kStatuses.size()> by_status_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> latency_buckets_{};
  std::atomic<std::uint64_t> latency_ns_{0};
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::uint64_t> decode_ns_{0};
  std::atomic<std::uint64_t> encode_ns_{0};
  /// Indexed by ErrorReason (kNone included, never exported).
  std::array<std::atomic<std::uint64_t>, kErrorReasons.size() + 1> errors_{};
  std::array<std::atomic<std::uint64_t>, 3> summaries_{};  ///< by SummaryReply
  std::atomic<std::uint64_t> summary_bytes_{0};
  std::atomic<std::uint64_t> ws_summary_pushes_{0};
  std::atomic<std::uint64_t> ws_chat_pushes_{0};
  std::atomic<std::uint64_t> ws_push_bytes_{0};
};

}  // namespace brigade::server
