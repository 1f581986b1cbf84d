// brigade: metrics.
#include "metrics.hpp"

#include <algorithm>

#include "brigade/constants.hpp"
#include "wire/json_writer.hpp"

namespace brigade::server {
using wire::append_json_double;
namespace {

void line(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  append_json_double(out, value);
  out += '\n';
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

/// A gauge with one sample, omitted when the value could not be read (negative).
void gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  if (value < 0) return;
  header(out, name, "gauge", help);
  line(out, name, "", value);
}

/// label="value" with the value escaped as the text format requires.
std::string label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

void process_metrics(std::string& out, const ProcessStats& p) {
  if (p.cpu_seconds >= 0) {
    header(out, "process_cpu_seconds_total", "counter", "User and system CPU time, seconds.");
    line(out, "process_cpu_seconds_total", "", p.cpu_seconds);
  }
  gauge(out, "process_resident_memory_bytes", "Resident memory size, bytes.", p.resident_bytes);
  gauge(out, "process_virtual_memory_bytes", "Virtual memory size, bytes.", p.virtual_bytes);
  gauge(out, "process_open_fds", "Open file descriptors.", p.open_fds);
  gauge(out, "process_max_fds", "Limit on open file descriptors.", p.max_fds);
  gauge(out, "process_start_time_seconds", "Process start time, Unix seconds.",
        p.start_time_seconds);
}

void state_metrics(std::string& out, const Metrics::Gauges& g) {
  header(out, "brigade_build_info", "gauge", "Always 1; the version is a label.");
  line(out, "brigade_build_info", label("version", g.version), 1);
  header(out, "brigade_ready", "gauge", "1 when /readyz answers 200.");
  line(out, "brigade_ready", "", g.ready ? 1 : 0);
  header(out, "brigade_draining", "gauge", "1 while shutting down (new singers refused).");
  line(out, "brigade_draining", "", g.draining ? 1 : 0);
  header(out, "brigade_song_state", "gauge", "1 for the song's current phase, 0 for the others.");
  for (const SongPhase p : kSongPhases) {
    line(out, "brigade_song_state", label("state", to_string(p)), p == g.song_phase ? 1 : 0);
  }
  header(out, "brigade_ring_occupied_frames", "gauge",
         "Frames of 128 samples of the audio ring holding sound.");
  line(out, "brigade_ring_occupied_frames", "", static_cast<double>(g.ring_occupied_frames));
  header(out, "brigade_ring_frames", "gauge", "Frames of 128 samples in the audio ring.");
  line(out, "brigade_ring_frames", "", static_cast<double>(kRingFrames));
}

}  // namespace

void Metrics::record_request(unsigned status, std::chrono::nanoseconds elapsed,
                             std::size_t bytes_in, std::size_t bytes_out) {
  const auto* it = std::find(kStatuses.begin(), kStatuses.end() - 1, status);
  by_status_[static_cast<std::size_t>(it - kStatuses.begin())].fetch_add(1,
                                                                         std::memory_order_relaxed);
  const double s = std::chrono::duration<double>(elapsed).count();
  const auto bucket = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), s);
  latency_buckets_[static_cast<std::size_t>(bucket - kLatencyBounds.begin())].fetch_add(
      1, std::memory_order_relaxed);
  add(latency_ns_, elapsed);
  bytes_in_.fetch_add(bytes_in, std::memory_order_relaxed);
  bytes_out_.fetch_add(bytes_out, std::memory_order_relaxed);
}

std::uint64_t Metrics::requests() const {
  std::uint64_t n = 0;
  for (const auto& c : by_status_) n += c.load(std::memory_order_relaxed);
  return n;
}

std::string Metrics::prometheus(const Gauges& g) const {
  std::string out;
  header(out, "brigade_http_requests_total", "counter", "HTTP requests answered, by status.");
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    const std::string label = kStatuses[i] == 0 ? std::string("code=\"other\"")
                                                : "code=\"" + std::to_string(kStatuses[i]) + "\"";
    line(out, "brigade_http_requests_total", label,
         static_cast<double>(by_status_[i].load(std::memory_order_relaxed)));
  }
  header(out, "brigade_http_request_duration_seconds", "histogram",
         "Time from a complete request to its response, seconds.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kLatencyBounds.size(); ++i) {
    cumulative += latency_buckets_[i].load(std::memory_order_relaxed);
    std::string le = "le=\"";
    if (i < kLatencyBounds.size()) {
      append_json_double(le, kLatencyBounds[i]);
    } else {
      le += "+Inf";
    }
    le += '"';
    line(out, "brigade_http_request_duration_seconds_bucket", le, static_cast<double>(cumulative));
  }
  line(out, "brigade_http_request_duration_seconds_sum", "",
       seconds(latency_ns_.load(std::memory_order_relaxed)));
  line(out, "brigade_http_request_duration_seconds_count", "", static_cast<double>(cumulative));
  header(out, "brigade_active_singers", "gauge", "Singers heard from in the last 5 s.");
  line(out, "brigade_active_singers", "", g.active_singers);
  header(out, "brigade_opus_decode_seconds_total", "counter", "CPU time decoding uploads.");
  line(out, "brigade_opus_decode_seconds_total", "", seconds(decode_ns_.load()));
  header(out, "brigade_opus_encode_seconds_total", "counter", "CPU time encoding replies.");
  line(out, "brigade_opus_encode_seconds_total", "", seconds(encode_ns_.load()));
  header(out, "brigade_shared_frames_total", "counter",
         "Reply frames by how they were produced: encoded once for a group, reused from a "
         "group, encoded by the singer's own encoder after a miss, or by the singer's own "
         "encoder because the reply cannot be shared (read off the 60 ms grid, solo mix, "
         "loopback, or --no-shared-encoding).");
  line(out, "brigade_shared_frames_total", "kind=\"encoded\"",
       static_cast<double>(g.shared_frames_encoded));
  line(out, "brigade_shared_frames_total", "kind=\"reused\"",
       static_cast<double>(g.shared_frames_reused));
  line(out, "brigade_shared_frames_total", "kind=\"missed\"",
       static_cast<double>(g.shared_frames_missed));
  line(out, "brigade_shared_frames_total", "kind=\"unshared\"",
       static_cast<double>(g.unshared_frames));
  header(out, "brigade_shared_whole_replies_total", "counter",
         "Replies whose every frame a group had encoded before the room ran: their mix was left "
         "in the ring, neither copied out nor rendered (their frames count as reused).");
  line(out, "brigade_shared_whole_replies_total", "", static_cast<double>(g.shared_whole_replies));
  header(out, "brigade_user_summaries_total", "counter",
         "Replies to requests with user_summary: the summary sent, left out because the "
         "client's user_summary_version was current, or left out because the listing changed "
         "sooner than the singer's summary budget allows.");
  constexpr std::array<std::string_view, 3> kinds{"kind=\"sent\"", "kind=\"unchanged\"",
                                                  "kind=\"deferred\""};
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    line(out, "brigade_user_summaries_total", kinds[k], static_cast<double>(summaries_[k].load()));
  }
  header(out, "brigade_user_summaries_bytes_total", "counter", "User-summary bytes sent.");
  line(out, "brigade_user_summaries_bytes_total", "", static_cast<double>(summary_bytes_.load()));
  header(out, "brigade_ws_pushes_total", "counter",
         "WebSocket pushes queued (?push=1): user summaries and chat lines.");
  line(out, "brigade_ws_pushes_total", "kind=\"summary\"",
       static_cast<double>(ws_summary_pushes_.load()));
  line(out, "brigade_ws_pushes_total", "kind=\"chats\"",
       static_cast<double>(ws_chat_pushes_.load()));
  header(out, "brigade_ws_push_bytes_total", "counter", "WebSocket push bytes queued.");
  line(out, "brigade_ws_push_bytes_total", "", static_cast<double>(ws_push_bytes_.load()));
  header(out, "brigade_ring_clears_total", "counter", "Clears of the span ahead of the leader.");
  line(out, "brigade_ring_clears_total", "", static_cast<double>(g.ring_clears));
  header(out, "brigade_ring_cleared_samples_total", "counter", "Samples cleared ahead.");
  line(out, "brigade_ring_cleared_samples_total", "", static_cast<double>(g.cleared_samples));
  header(out, "brigade_http_request_bytes_total", "counter", "Request bytes (target and body).");
  line(out, "brigade_http_request_bytes_total", "", static_cast<double>(bytes_in_.load()));
  header(out, "brigade_http_response_bytes_total", "counter", "Response body bytes.");
  line(out, "brigade_http_response_bytes_total", "", static_cast<double>(bytes_out_.load()));
  header(out, "brigade_errors_total", "counter", "Failures by reason (a fixed set).");
  for (const ErrorReason r : kErrorReasons) {
    line(out, "brigade_errors_total", label("reason", to_string(r)),
         static_cast<double>(errors(r)));
  }
  state_metrics(out, g);
  process_metrics(out, g.process);
  return out;
}

}  // namespace brigade::server
