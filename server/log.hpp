// brigade: minimal leveled logging to stderr (never called on the audio path).
#pragma once

#include <string_view>

namespace brigade::server {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

/// Sets the most verbose level printed; false when `name` is not error|warn|info|debug.
bool set_log_level(std::string_view name);
bool log_enabled(LogLevel level);
/// One line to stderr, prefixed with the level.
void log_line(LogLevel level, std::string_view text);

}  // namespace brigade::server
