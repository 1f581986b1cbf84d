// brigade: the backing-track directory (--tracks-dir): listing, loading, and storing uploads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/constants.hpp"
#include "brigade/result.hpp"

namespace brigade {

/// Largest upload add_upload accepts, in bytes of the file as sent.
inline constexpr std::size_t kMaxTrackUploadBytes = std::size_t{32} << 20;
/// Longest backing track add_upload accepts (after conversion to 48 kHz).
inline constexpr std::uint32_t kMaxTrackSeconds = 600;
/// Default bounds on what uploads may store: tracks in the directory, and their total size.
inline constexpr std::size_t kDefaultMaxTracks = 100;
inline constexpr std::uintmax_t kDefaultMaxTrackBytes = std::uintmax_t{2} << 30;  // 2 GiB
/// add_upload's error when a bound would be passed starts with this.
inline constexpr std::string_view kTrackStorageFull = "track storage is full";

/// How much the tracks directory may hold; add_upload refuses what would pass either bound.
struct TrackStorageLimits {
  std::size_t max_tracks = kDefaultMaxTracks;
  std::uintmax_t max_bytes = kDefaultMaxTrackBytes;
};

/// Backing tracks are played at this gain (the original's ×0.8), leaving headroom for voices.
inline constexpr float kBackingTrackGain = 0.8f;

/// Name under which /upload?type=backingTrack stores its track (the original's fixed name,
/// which its page then selects with track=User Upload).
inline constexpr std::string_view kUserUploadTrackName = "User Upload";

/// The tracks in one directory. A track is a regular, non-hidden file whose name ends in
/// ".wav" (any case); its name is the file name without that extension. The directory is
/// scanned on every list()/load(), so files added by add_upload (or by hand) appear at once.
/// Uploads are converted to the native form (mono 16-bit 48 kHz) and stored under generated
/// names; the client's file name is never used.
///
/// Thread-safe: a mutex serialises scans and the final rename of an upload; decoding (load)
/// and validating/converting uploads run outside it. Every call does file I/O, so never call
/// it under the room lock.
class TrackLibrary {
 public:
  /// `dir` need not exist yet (list() is then empty; add_upload creates it).
  explicit TrackLibrary(std::filesystem::path dir, TrackStorageLimits limits = {});

  /// Track names, sorted, without duplicates.
  std::vector<std::string> list() const;

  /// The track's samples: mono 48 kHz, scaled by kBackingTrackGain. Errors: an invalid name
  /// (empty, path separators, "..", not listed) or an unreadable file.
  Result<std::shared_ptr<const std::vector<float>>> load(const std::string& name) const;

  /// Validates and decodes an uploaded audio file (size ≤ kMaxTrackUploadBytes, any container
  /// decode_audio_file reads, at most kMaxTrackSeconds), then stores it with add_samples under
  /// a generated name and returns that name. Decoding is the expensive part and takes no lock.
  /// Refused with kTrackStorageFull when the stored file would pass the storage limits.
  Result<std::string> add_upload(
      std::span<const std::uint8_t> bytes,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  /// Stores decoded mono 48 kHz samples as a track in the native form, via a temporary hidden
  /// file and an atomic rename. An empty `name` generates "upload-YYYYMMDD-HHMMSS-<8 hex>" (UTC
  /// `now`) and never overwrites; a given name (is_safe_track_name) replaces that track, as the
  /// original's single "User Upload" track is replaced by every upload. Returns the name.
  Result<std::string> add_samples(
      std::span<const float> samples, const std::string& name = {},
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  /// Bumped by every stored upload: a cache of loaded samples is stale when it changed (a
  /// replaced "User Upload" keeps its name).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  /// The directory.
  const std::filesystem::path& dir() const { return dir_; }

  /// True when the directory already holds max_tracks tracks or max_bytes bytes of them: an
  /// upload would be refused, so callers skip the work of converting it.
  bool storage_full() const;

 private:
  /// Track name → file path for every track, sorted by name. Caller holds mutex_.
  std::vector<std::pair<std::string, std::filesystem::path>> scan_locked() const;

  /// Tracks and their total bytes. Caller holds mutex_.
  std::pair<std::size_t, std::uintmax_t> usage_locked() const;

  std::filesystem::path dir_;
  TrackStorageLimits limits_;
  /// Serialises directory scans against the rename that publishes an upload.
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> generation_{0};
};

/// True if `name` could name a track: non-empty, at most 255 bytes, no '/', '\\', NUL or
/// control characters, not starting with '.', and without "..".
bool is_safe_track_name(const std::string& name);

}  // namespace brigade
