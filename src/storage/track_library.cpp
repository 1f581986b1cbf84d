// brigade: backing-track directory scanning, loading and upload storage.
#include "brigade/storage/track_library.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>

#include "brigade/storage/audio_file.hpp"
#include "brigade/storage/wav.hpp"

namespace brigade {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kWavExtension = ".wav";
constexpr std::size_t kMaxTrackNameBytes = 255;

bool has_wav_extension(const std::string& file) {
  if (file.size() <= kWavExtension.size()) return false;
  const std::string_view ext(file.data() + file.size() - kWavExtension.size(),
                             kWavExtension.size());
  return std::equal(ext.begin(), ext.end(), kWavExtension.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

std::string random_hex32() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rng()));
  return buf;
}

std::string utc_stamp(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

/// Removes a file when it goes out of scope unless released (temporary upload files).
class RemoveOnExit {
 public:
  explicit RemoveOnExit(fs::path p) : path_(std::move(p)) {}
  ~RemoveOnExit() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove(path_, ec);
    }
  }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

}  // namespace

bool is_safe_track_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTrackNameBytes || name.front() == '.') return false;
  if (name.find("..") != std::string::npos) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '/' || c == '\\' || u < 0x20 || u == 0x7F;
  });
}

TrackLibrary::TrackLibrary(std::filesystem::path dir, TrackStorageLimits limits)
    : dir_(std::move(dir)), limits_(limits) {}

std::pair<std::size_t, std::uintmax_t> TrackLibrary::usage_locked() const {
  std::uintmax_t bytes = 0;
  const auto tracks = scan_locked();
  for (const auto& [name, path] : tracks) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec) bytes += size;
  }
  return {tracks.size(), bytes};
}

bool TrackLibrary::storage_full() const {
  std::lock_guard lock(mutex_);
  const auto [count, bytes] = usage_locked();
  return count >= limits_.max_tracks || bytes >= limits_.max_bytes;
}

std::vector<std::pair<std::string, fs::path>> TrackLibrary::scan_locked() const {
  std::vector<std::pair<std::string, fs::path>> tracks;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) return tracks;
  for (const fs::directory_entry& entry : it) {
    const std::string file = entry.path().filename().string();
    if (file.empty() || file.front() == '.' || !has_wav_extension(file)) continue;
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    std::string name = file.substr(0, file.size() - kWavExtension.size());
    if (!is_safe_track_name(name)) continue;
    tracks.emplace_back(std::move(name), entry.path());
  }
  // Sorting by (name, path) makes the choice among "a.wav"/"a.WAV" deterministic.
  std::sort(tracks.begin(), tracks.end());
  tracks.erase(std::unique(tracks.begin(), tracks.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; }),
               tracks.end());
  return tracks;
}

std::vector<std::string> TrackLibrary::list() const {
  std::vector<std::string> names;
  std::lock_guard lock(mutex_);
  for (auto& [name, path] : scan_locked()) names.push_back(name);
  return names;
}

Result<std::shared_ptr<const std::vector<float>>> TrackLibrary::load(
    const std::string& name) const {
  if (!is_safe_track_name(name)) return Error{"invalid track name"};
  fs::path path;
  {
    std::lock_guard lock(mutex_);
    const auto tracks = scan_locked();
    const auto it =
        std::lower_bound(tracks.begin(), tracks.end(), name,
                         [](const auto& track, const std::string& n) { return track.first < n; });
    if (it == tracks.end() || it->first != name) return Error{"no such track: " + name};
    path = it->second;
  }
  auto samples = read_wav_file(path);
  if (!samples) return Error{"track " + name + " unreadable: " + samples.error()};
  auto track = std::make_shared<std::vector<float>>(std::move(samples).value());
  for (float& s : *track) s *= kBackingTrackGain;
  return std::shared_ptr<const std::vector<float>>(std::move(track));
}

Result<std::string> TrackLibrary::add_upload(std::span<const std::uint8_t> bytes,
                                             std::chrono::system_clock::time_point now) {
  if (bytes.empty()) return Error{"empty upload"};
  if (bytes.size() > kMaxTrackUploadBytes) {
    return Error{"upload larger than " + std::to_string(kMaxTrackUploadBytes >> 20) + " MiB"};
  }
  auto samples = decode_audio_file(bytes, kMaxTrackSeconds);
  if (!samples) return Error{samples.error()};
  return add_samples(samples.value(), {}, now);
}

Result<std::string> TrackLibrary::add_samples(std::span<const float> samples,
                                              const std::string& name,
                                              std::chrono::system_clock::time_point now) {
  if (samples.empty()) return Error{"no audio"};
  if (!name.empty() && !is_safe_track_name(name)) return Error{"invalid track name"};
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Error{"cannot create tracks directory: " + ec.message()};
  // Convert to the native form in a hidden temporary file (ignored by list()), then publish.
  const fs::path temp = dir_ / (".upload-" + random_hex32() + random_hex32() + ".tmp");
  RemoveOnExit cleanup(temp);
  {
    auto writer = WavWriter::create(temp);
    if (!writer) return Error{"cannot store upload: " + writer.error()};
    if (auto r = writer.value().append(samples); !r) {
      return Error{"cannot store upload: " + r.error()};
    }
    if (auto r = writer.value().finish(); !r) return Error{"cannot store upload: " + r.error()};
  }

  std::lock_guard lock(mutex_);
  auto [stored_tracks, stored_bytes] = usage_locked();
  const auto size = fs::file_size(temp, ec);
  if (ec) return Error{"cannot store upload: " + ec.message()};
  if (!name.empty()) {  // a replaced track frees its own place and bytes
    const auto old_size = fs::file_size(dir_ / (name + std::string(kWavExtension)), ec);
    if (!ec && stored_tracks > 0) {
      --stored_tracks;
      stored_bytes -= std::min<std::uintmax_t>(stored_bytes, old_size);
    }
    ec.clear();
  }
  if (stored_tracks + 1 > limits_.max_tracks || stored_bytes + size > limits_.max_bytes) {
    return Error{std::string(kTrackStorageFull) + " (" + std::to_string(stored_tracks) +
                 " tracks, " + std::to_string(stored_bytes >> 20) + " MiB stored)"};
  }
  auto publish = [&](const std::string& track) -> Result<std::string> {
    fs::rename(temp, dir_ / (track + std::string(kWavExtension)), ec);
    if (ec) return Error{"cannot store upload: " + ec.message()};
    cleanup.release();
    generation_.fetch_add(1, std::memory_order_release);
    return track;
  };
  if (!name.empty()) return publish(name);  // rename replaces an existing file atomically
  const std::string stamp = utc_stamp(now);
  constexpr int kNameAttempts = 16;
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    const std::string generated = "upload-" + stamp + "-" + random_hex32();
    if (fs::exists(dir_ / (generated + std::string(kWavExtension)), ec)) continue;
    return publish(generated);
  }
  return Error{"cannot find a free name for the upload"};
}

}  // namespace brigade
