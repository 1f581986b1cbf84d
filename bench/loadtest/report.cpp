// brigade-loadtest: summary text and JSON (see report.hpp).
#include "report.hpp"

#include <cstdio>

namespace brigade::loadtest {
namespace {

double ms(std::int64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

/// Bytes per singer and second of the measurement.
double per_singer_second(const Measurement& m, std::uint64_t bytes) {
  const double d = static_cast<double>(m.singers) * m.seconds;
  return d > 0 ? static_cast<double>(bytes) / d : 0.0;
}

}  // namespace

void apply_gates(const Options& o, Measurement& m) {
  char buf[160];
  const double p99 = ms(m.tally.latency.quantile(0.99));
  if (o.max_p99_ms && p99 > *o.max_p99_ms) {
    std::snprintf(buf, sizeof buf, "p99 %.1f ms > %.1f ms", p99, *o.max_p99_ms);
    m.violations.emplace_back(buf);
  }
  const double rate = m.tally.error_rate();
  if (o.max_error_rate && rate > *o.max_error_rate) {
    std::snprintf(buf, sizeof buf, "error rate %.4f > %.4f", rate, *o.max_error_rate);
    m.violations.emplace_back(buf);
  }
  if (m.tally.requests() == 0) m.violations.emplace_back("no request completed");
  if (m.tally.requests() > 0 && m.tally.exchanges_ok == 0) {
    m.violations.emplace_back("no exchange succeeded");
  }
  m.held = m.violations.empty();
}

std::string describe(const Measurement& m, double batch_s) {
  const Tally& t = m.tally;
  const auto& h = t.latency;
  const double achieved = m.seconds > 0 ? static_cast<double>(t.exchanges_ok) / m.seconds : 0.0;
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf,
                "requests     %llu (%llu exchanges ok, %llu clock GETs ok, %llu errors, %.3f%%)\n",
                static_cast<unsigned long long>(t.requests()),
                static_cast<unsigned long long>(t.exchanges_ok),
                static_cast<unsigned long long>(t.clock_gets_ok),
                static_cast<unsigned long long>(t.error_count()), 100.0 * t.error_rate());
  out += buf;
  std::snprintf(
      buf, sizeof buf,
      "rate         %.1f exchanges/s achieved, %.1f intended (%d singers / %.3f s): %.1f%%\n",
      achieved, m.intended_per_s, m.singers, batch_s,
      m.intended_per_s > 0 ? 100.0 * achieved / m.intended_per_s : 0.0);
  out += buf;
  std::snprintf(buf, sizeof buf,
                "per singer   %llu..%llu good exchanges (%.1f expected in %.1f s)\n",
                static_cast<unsigned long long>(m.min_exchanges),
                static_cast<unsigned long long>(m.max_exchanges), m.expected_exchanges, m.seconds);
  out += buf;
  std::snprintf(buf, sizeof buf,
                "latency ms   p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n",
                ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)),
                ms(h.quantile(0.999)), ms(h.max()), h.mean() / 1000.0);
  out += buf;
  const Transfer& b = t.bytes;
  const double out_b = per_singer_second(m, b.response);
  const double audio = per_singer_second(m, b.audio);
  const double summary = per_singer_second(m, b.summary);
  std::snprintf(buf, sizeof buf,
                "bytes        server out %.0f B per singer-second (reply audio %.0f, user summary "
                "%.0f, headers and metadata %.0f; %.2fx the audio), in %.0f\n",
                out_b, audio, summary, out_b - audio - summary, audio > 0 ? out_b / audio : 0.0,
                per_singer_second(m, b.request));
  out += buf;
  out += "errors      ";
  if (t.errors.empty()) out += " none";
  for (const auto& [kind, count] : t.errors) {
    std::snprintf(buf, sizeof buf, " %s: %llu", kind.c_str(),
                  static_cast<unsigned long long>(count));
    out += buf;
  }
  out += "\n";
  return out;
}

boost::json::object to_json(const Measurement& m) {
  const Tally& t = m.tally;
  const auto& h = t.latency;
  boost::json::object o;
  o["singers"] = m.singers;
  o["seconds"] = m.seconds;
  boost::json::object req;
  req["total"] = t.requests();
  req["exchanges_ok"] = t.exchanges_ok;
  req["clock_gets_ok"] = t.clock_gets_ok;
  req["errors"] = t.error_count();
  req["error_rate"] = t.error_rate();
  o["requests"] = std::move(req);
  boost::json::object errors;
  for (const auto& [kind, count] : t.errors) errors[kind] = count;
  o["errors"] = std::move(errors);
  boost::json::object lat;
  lat["p50"] = ms(h.quantile(0.5));
  lat["p90"] = ms(h.quantile(0.9));
  lat["p99"] = ms(h.quantile(0.99));
  lat["p99_9"] = ms(h.quantile(0.999));
  lat["max"] = ms(h.max());
  lat["mean"] = h.mean() / 1000.0;
  o["latency_ms"] = std::move(lat);
  boost::json::object rate;
  const double achieved = m.seconds > 0 ? static_cast<double>(t.exchanges_ok) / m.seconds : 0.0;
  rate["intended_per_s"] = m.intended_per_s;
  rate["achieved_per_s"] = achieved;
  rate["ratio"] = m.intended_per_s > 0 ? achieved / m.intended_per_s : 0.0;
  o["rate"] = std::move(rate);
  boost::json::object per;
  per["min_exchanges"] = m.min_exchanges;
  per["max_exchanges"] = m.max_exchanges;
  per["expected_exchanges"] = m.expected_exchanges;
  o["per_singer"] = std::move(per);
  boost::json::object bytes;
  bytes["out_per_singer_second"] = per_singer_second(m, t.bytes.response);
  bytes["audio_out_per_singer_second"] = per_singer_second(m, t.bytes.audio);
  bytes["summary_out_per_singer_second"] = per_singer_second(m, t.bytes.summary);
  bytes["in_per_singer_second"] = per_singer_second(m, t.bytes.request);
  bytes["out_total"] = t.bytes.response;
  bytes["in_total"] = t.bytes.request;
  o["bytes"] = std::move(bytes);
  o["held"] = m.held;
  boost::json::array v;
  for (const auto& s : m.violations) v.push_back(boost::json::string(s));
  o["violations"] = std::move(v);
  return o;
}

}  // namespace brigade::loadtest
