// brigade: logging.
#include "log.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>

namespace brigade::server {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
constexpr std::array<std::string_view, 4> kNames{"error", "warn", "info", "debug"};
}  // namespace

bool set_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      g_level = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_level.load();
}

void log_line(LogLevel level, std::string_view text) {
  if (!log_enabled(level)) return;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "brigade-server [%s] %.*s\n", kNames[static_cast<std::size_t>(level)].data(),
               static_cast<int>(text.size()), text.data());
}

}  // namespace brigade::server
