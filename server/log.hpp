// brigade: the operator's log on stderr: one line per event, with a UTC timestamp, as text
// (`2026-11-29T03:01:02.345Z info singer_joined id=7 name="Ada"`) or as one JSON object per
// line (`{"ts": …, "level": …, "event": …, <fields>}`). Every event kind is rate-limited by a
// token bucket; the next line of that kind carries `suppressed=N`. Never call it on the audio
// path or under the room lock: collect under the lock, log after unlocking.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace brigade::server {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
enum class LogFormat { kText, kJson };

/// Lines of one event kind written at once before the rate limit applies.
inline constexpr double kLogBurstLines = 20;
/// Lines of one event kind per second, on average, after the burst.
inline constexpr double kLogLinesPerSecond = 10;

/// Sets the most verbose level printed; false when `name` is not error|warn|info|debug.
bool set_log_level(std::string_view name);
/// Sets the line format; false when `name` is not text|json.
bool set_log_format(std::string_view name);
bool log_enabled(LogLevel level);

/// One key and its value (text, integer, real number or flag). Text is copied when written.
struct LogField {
  enum class Type { kText, kInt, kUint, kReal, kFlag };

  LogField(std::string_view k, std::string_view v) : key(k), type(Type::kText), text(v) {}
  LogField(std::string_view k, const char* v) : LogField(k, std::string_view(v)) {}
  LogField(std::string_view k, const std::string& v) : LogField(k, std::string_view(v)) {}
  LogField(std::string_view k, bool v) : key(k), type(Type::kFlag), flag(v) {}
  LogField(std::string_view k, double v) : key(k), type(Type::kReal), real(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogField(std::string_view k, T v)
      : key(k),
        type(std::is_signed_v<T> ? Type::kInt : Type::kUint),
        integer(static_cast<long long>(v)),
        unsigned_integer(static_cast<unsigned long long>(v)) {}

  std::string_view key;
  Type type;
  std::string_view text;
  long long integer = 0;
  unsigned long long unsigned_integer = 0;
  double real = 0.0;
  bool flag = false;
};

/// Writes one event line (if `level` is enabled and the kind's rate allows it).
void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
/// A free-text line: event "message" with field msg.
void log_line(LogLevel level, std::string_view text);
/// For every event kind with suppressed lines not yet reported, writes
/// `log_suppressed kind=KIND suppressed=N`. The server calls it once a second.
void log_flush_suppressed();

/// One line in `format`, without the newline (what log_event writes; for tests).
std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point ts,
                            LogLevel level, std::string_view event,
                            std::span<const LogField> fields);

}  // namespace brigade::server
