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
#include "brigade/storage/wav.hpp"

namespace brigade {

/// How many recordings are kept by default (--keep-recordings).
inline constexpr int kDefaultKeepRecordings = 20;
/// Most bytes the recordings folder holds by default (--max-recordings-mb 2048).
inline constexpr std::uintmax_t kDefaultMaxRecordingsBytes = std::uintmax_t{2048} << 20;

/// What the listing shows about a recording besides its file: kept in a companion file
/// "<stem>.info" next to the WAV (lines "leader=…" and "song_start_clock=…").
struct RecordingInfo {
  std::string leader;                 ///< the leader's name when the song started ("" if none)
  std::int64_t song_start_clock = 0;  ///< the song's start on the server clock (0 = unknown)

  friend bool operator==(const RecordingInfo&, const RecordingInfo&) = default;
};

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
  /// Length of the audio, from the file size (16-bit mono 48 kHz).
  double duration_seconds = 0.0;
  RecordingInfo info;
  /// The song's stems (*.opus in its stems directory), by name; empty when it has none.
  std::vector<StemEntry> stems{};

  /// Bytes of the mix and its stems.
  std::uintmax_t total_bytes() const;

  friend bool operator==(const RecordingEntry&, const RecordingEntry&) = default;
};

/// A recording's song name: its file name without ".wav" (the stems are in "<song>.stems/").
std::string song_name(std::string_view recording_name);

/// Writes song recordings as "YYYY-MM-DD-HHMMSS.wav" (UTC; "-2", "-3"… when taken) and keeps
/// only the newest `keep` *.wav files (by name order, which is time order for our names), and
/// only as many as fit in `max_bytes` together with their companions. A recording's companions
/// are the entries named "<stem>.<anything>" (its metadata "<stem>.info", and whatever else is
/// filed with it, files or folders); they are counted with it and deleted with it. Other files
/// are never counted or touched. At most one recording is open at a time. Thread-safe:
/// one mutex guards the writer and the directory, so list() may run beside append(). Calls do
/// file I/O: never hold the room lock around them.
class RecordingStore {
 public:
  /// Creates `dir` if missing; throws std::runtime_error when it cannot (a startup error).
  /// `keep` < 1 is treated as 1.
  explicit RecordingStore(std::filesystem::path dir, int keep = kDefaultKeepRecordings,
                          std::uintmax_t max_bytes = kDefaultMaxRecordingsBytes);
  /// Finishes an open recording, so a clean shutdown leaves a complete file.
  ~RecordingStore();
  RecordingStore(const RecordingStore&) = delete;
  RecordingStore& operator=(const RecordingStore&) = delete;

  /// Finishes any open recording (dropping its error, if any), opens a new one named from
  /// `now`, applies retention, and returns the new file name. Fails only if no file can be
  /// created.
  Result<std::string> start(std::chrono::system_clock::time_point now, RecordingInfo info = {});
  /// Appends samples (48 kHz mono, clipped to 16 bits) to the open recording. When the folder
  /// would exceed its byte cap even after deleting every older recording, the recording stops
  /// growing (one error is returned, later appends are dropped quietly).
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
  /// Where the stems of `recording_name` go: "<song>.stems", a companion (counted in the
  /// folder's size and deleted with the recording).
  std::filesystem::path stems_dir(std::string_view recording_name) const {
    return dir_ / (song_name(recording_name) + std::string(kStemsSuffix));
  }
  /// The stems directory's suffix.
  static constexpr std::string_view kStemsSuffix = ".stems";

 private:
  Result<void> finish_locked();
  /// Deletes the oldest recordings (never the open one) beyond `keep` or the byte cap, counting
  /// the open WAV as `open_bytes`.
  void prune_locked(std::uintmax_t open_bytes = 0);

  std::filesystem::path dir_;
  std::size_t keep_;
  std::uintmax_t max_bytes_;
  /// Bytes of the closed recordings and all companions, as of the last prune.
  std::uintmax_t closed_bytes_ = 0;
  /// The open recording hit the byte cap.
  bool capped_ = false;
  mutable std::mutex mutex_;
  /// The recording being written.
  std::optional<WavWriter> writer_;
};

}  // namespace brigade
