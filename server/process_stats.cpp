// brigade: process statistics from /proc.
#include "process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace brigade::server {
namespace {

/// Boot time (Unix seconds) from the "btime" line of /proc/stat; -1 if absent.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 16, '\n');
  }
  return -1;
}

/// utime, stime (ticks), starttime (ticks since boot) and vsize (bytes) from /proc/self/stat.
void read_stat(ProcessStats& out) {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0, start = 0, vsize = 0;
  // Field 3 (state) is the first after ')'; utime is field 14, stime 15, starttime 22, vsize 23.
  for (int field = 3; field <= 23 && fields >> f; ++field) {
    if (field == 14) utime = std::stod(f);
    if (field == 15) stime = std::stod(f);
    if (field == 22) start = std::stod(f);
    if (field == 23) vsize = std::stod(f);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (ticks <= 0) return;
  out.cpu_seconds = (utime + stime) / ticks;
  out.virtual_bytes = vsize;
  if (const double boot = boot_time_seconds(); boot >= 0) {
    out.start_time_seconds = boot + start / ticks;
  }
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  try {
    read_stat(s);
  } catch (const std::exception&) {
    // A malformed field leaves the rest unread; the metrics omit what is missing.
  }
  {
    std::ifstream statm("/proc/self/statm");
    double size = 0, resident = 0;
    if (statm >> size >> resident) s.resident_bytes = resident * static_cast<double>(getpagesize());
  }
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  if (!ec) s.open_fds = fds - 1;  // not counting the descriptor that lists the directory
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    s.max_fds = static_cast<double>(limit.rlim_cur);
  }
  return s;
}

}  // namespace brigade::server
