// brigade: logging.
#include "log.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <vector>

#include "token_bucket.hpp"
#include "wire/json_writer.hpp"

namespace brigade::server {
using wire::append_json_double;
using wire::append_json_string;
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<LogFormat> g_format{LogFormat::kText};
constexpr std::array<std::string_view, 4> kLevelNames{"error", "warn", "info", "debug"};

/// The rate limits, one bucket per event kind (kinds are literals in the code: a bounded set).
struct Limits {
  std::mutex mutex;
  std::map<std::string, TokenBucket, std::less<>> buckets;
};

Limits& limits() {
  static Limits l;
  return l;
}

void append_timestamp(std::string& out, std::chrono::system_clock::time_point ts) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, static_cast<int>(ms.count() % 1000));
  out.append(buf, static_cast<std::size_t>(n));
}

/// Text values are bare when they are a plain word, else quoted and escaped as JSON.
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '"' || c == '=' || c == '\\' || u >= 0x7f) return true;
  }
  return false;
}

void append_value(std::string& out, const LogField& f, LogFormat format) {
  switch (f.type) {
    case LogField::Type::kText:
      if (format == LogFormat::kJson || needs_quotes(f.text)) {
        append_json_string(out, f.text);
      } else {
        out += f.text;
      }
      return;
    case LogField::Type::kInt:
      out += std::to_string(f.integer);
      return;
    case LogField::Type::kUint:
      out += std::to_string(f.unsigned_integer);
      return;
    case LogField::Type::kReal:
      append_json_double(out, f.real);
      return;
    case LogField::Type::kFlag:
      out += f.flag ? "true" : "false";
      return;
  }
}

void write_line(LogLevel level, std::string_view event, std::span<const LogField> fields) {
  std::string line =
      format_log_line(g_format.load(), std::chrono::system_clock::now(), level, event, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);  // stderr is unbuffered: one write a line
}

}  // namespace

bool set_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) {
      g_level = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

bool set_log_format(std::string_view name) {
  if (name == "text") {
    g_format = LogFormat::kText;
  } else if (name == "json") {
    g_format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point ts,
                            LogLevel level, std::string_view event,
                            std::span<const LogField> fields) {
  const std::string_view level_name = kLevelNames[static_cast<std::size_t>(level)];
  std::string out;
  if (format == LogFormat::kJson) {
    out += "{\"ts\": \"";
    append_timestamp(out, ts);
    out += "\", \"level\": ";
    append_json_string(out, level_name);
    out += ", \"event\": ";
    append_json_string(out, event);
    for (const auto& f : fields) {
      out += ", ";
      append_json_string(out, f.key);
      out += ": ";
      append_value(out, f, format);
    }
    out += '}';
    return out;
  }
  append_timestamp(out, ts);
  out += ' ';
  out += level_name;
  out += ' ';
  out += event;
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_value(out, f, format);
  }
  return out;
}

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  Limits& l = limits();
  std::lock_guard lock(l.mutex);
  const auto now = std::chrono::steady_clock::now();
  auto it = l.buckets.find(event);
  if (it == l.buckets.end()) {
    it = l.buckets.emplace(std::string(event), TokenBucket(kLogBurstLines, kLogLinesPerSecond, now))
             .first;
  }
  if (!it->second.take(now)) return;
  const std::uint64_t suppressed = it->second.take_suppressed();
  if (suppressed == 0) return write_line(level, event, std::span(fields.begin(), fields.size()));
  std::vector<LogField> with_count(fields);
  with_count.emplace_back("suppressed", suppressed);
  write_line(level, event, with_count);
}

void log_line(LogLevel level, std::string_view text) {
  log_event(level, "message", {{"msg", text}});
}

void log_flush_suppressed() {
  if (!log_enabled(LogLevel::kWarn)) return;
  Limits& l = limits();
  std::lock_guard lock(l.mutex);
  for (auto& [event, bucket] : l.buckets) {
    if (bucket.suppressed() == 0) continue;
    const LogField fields[] = {{"kind", event}, {"suppressed", bucket.take_suppressed()}};
    write_line(LogLevel::kWarn, "log_suppressed", fields);
  }
}

}  // namespace brigade::server
