// brigade: the process's own CPU time, memory and descriptors, read from /proc/self for the
// standard process_* metrics.
#pragma once

namespace brigade::server {

/// A reading; a value that could not be read is negative (and not exported).
struct ProcessStats {
  double cpu_seconds = -1;         ///< user + system CPU time
  double resident_bytes = -1;      ///< resident set size
  double virtual_bytes = -1;       ///< virtual memory size
  double open_fds = -1;            ///< entries in /proc/self/fd
  double max_fds = -1;             ///< soft RLIMIT_NOFILE
  double start_time_seconds = -1;  ///< process start, Unix seconds
};

/// Reads /proc/self/stat, /proc/self/statm, /proc/self/fd, /proc/stat (boot time) and the
/// descriptor limit. A few syscalls: for /metrics scrapes, not the audio path.
ProcessStats read_process_stats();

}  // namespace brigade::server
