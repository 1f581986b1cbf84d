// brigade: the recordings directory (--recordings-dir): one WAV per song, named from UTC time,
// with a retention limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/result.hpp"
#include "brigade/wav.hpp"

namespace brigade {

/// How many recordings are kept by default (--keep-recordings).
inline constexpr int kDefaultKeepRecordings = 20;

/// One singer's stem of a recording.
struct StemEntry {
  /// File name in the song's stems directory, e.g. "Ada-1000.opus".
  std::string name;
  /// Current size in bytes.
  std::uintmax_t bytes = 0;

  friend bool operator==(const StemEntry&, const StemEntry&) = default;
};

/// One file in the recordings directory.
struct RecordingEntry {
  /// File name, e.g. "2024-05-01-193000.wav".
  std::string name;
  /// Current size in bytes.
  std::uintmax_t bytes = 0;
  /// False for the recording being written, and for a file whose header sizes do not match
  /// its length (its writer died); such files are still readable up to their last block.
  bool finished = false;
  /// The song's stems (*.opus in its stems directory), by name; empty when it has none.
  std::vector<StemEntry> stems{};

  /// Bytes of the mix and its stems.
  std::uintmax_t total_bytes() const;

  friend bool operator==(const RecordingEntry&, const RecordingEntry&) = default;
};

/// The directory name of a recording's stems: its file name without ".wav".
std::string song_name(std::string_view recording_name);

/// Writes song recordings as "YYYY-MM-DD-HHMMSS.wav" (UTC; "-2", "-3"… when taken) and keeps
/// only the newest `keep` *.wav files (by name order, which is time order for our names; other
/// files are never counted or touched). A recording's stems live in the directory of its name
/// without ".wav" and are deleted with it. At most one recording is open at a time. Thread-safe:
/// one mutex guards the writer and the directory, so list() may run beside append(). Calls do
/// file I/O: never hold the room lock around them.
class RecordingStore {
 public:
  /// Creates `dir` if missing; throws std::runtime_error when it cannot (a startup error).
  /// `keep` < 1 is treated as 1.
  explicit RecordingStore(std::filesystem::path dir, int keep = kDefaultKeepRecordings);
  /// Finishes an open recording, so a clean shutdown leaves a complete file.
  ~RecordingStore();
  RecordingStore(const RecordingStore&) = delete;
  RecordingStore& operator=(const RecordingStore&) = delete;

  /// Finishes any open recording (dropping its error, if any), opens a new one named from
  /// `now`, applies retention, and returns the new file name. Fails only if no file can be
  /// created.
  Result<std::string> start(std::chrono::system_clock::time_point now);
  /// Appends samples (48 kHz mono, clipped to 16 bits) to the open recording.
  Result<void> append(std::span<const float> samples);
  /// Finishes the open recording (exact header sizes) and applies retention. No-op when none
  /// is open.
  Result<void> finish();

  /// The open recording's file name, if any.
  std::optional<std::string> current() const;
  /// Samples appended to the open recording (0 when none is open).
  std::uint64_t current_samples() const;
  /// The *.wav files, newest first.
  std::vector<RecordingEntry> list() const;
  /// The directory (for serving files).
  const std::filesystem::path& dir() const { return dir_; }
  /// Where the stems of `recording_name` go.
  std::filesystem::path stems_dir(std::string_view recording_name) const {
    return dir_ / song_name(recording_name);
  }

 private:
  Result<void> finish_locked();
  void prune_locked();

  std::filesystem::path dir_;
  std::size_t keep_;
  mutable std::mutex mutex_;
  /// The recording being written.
  std::optional<WavWriter> writer_;
};

}  // namespace brigade
