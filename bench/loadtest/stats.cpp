// brigade-loadtest: run counters (see stats.hpp).
#include "stats.hpp"

namespace brigade::loadtest {

std::uint64_t Tally::error_count() const {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

double Tally::error_rate() const {
  const auto n = requests();
  return n == 0 ? 0.0 : static_cast<double>(error_count()) / static_cast<double>(n);
}

void Tally::merge(const Tally& other) {
  latency.merge(other.latency);
  exchanges_ok += other.exchanges_ok;
  clock_gets_ok += other.clock_gets_ok;
  for (const auto& [kind, count] : other.errors) errors[kind] += count;
  bytes.request += other.bytes.request;
  bytes.response += other.bytes.response;
  bytes.summary += other.bytes.summary;
  bytes.audio += other.bytes.audio;
  pushes += other.pushes;
}

void Stats::ok(std::int64_t micros, bool exchange, const Transfer& bytes) {
  for (Tally* t : {&total_, &window_, &interval_}) {
    t->latency.record(micros);
    ++(exchange ? t->exchanges_ok : t->clock_gets_ok);
    t->bytes.request += bytes.request;
    t->bytes.response += bytes.response;
    t->bytes.summary += bytes.summary;
    t->bytes.audio += bytes.audio;
  }
}

void Stats::pushed(std::uint64_t wire_bytes) {
  for (Tally* t : {&total_, &window_, &interval_}) {
    t->bytes.response += wire_bytes;
    t->bytes.summary += wire_bytes;
    ++t->pushes;
  }
}

void Stats::error(const std::string& kind, std::int64_t micros, const std::string& detail,
                  bool has_latency) {
  for (Tally* t : {&total_, &window_, &interval_}) {
    if (has_latency) t->latency.record(micros);
    ++t->errors[kind];
  }
  if (examples_.size() < kMaxExamples) examples_.push_back(kind + ": " + detail);
}

}  // namespace brigade::loadtest
