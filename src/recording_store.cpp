// brigade: recording file naming, retention and listing.
#include "brigade/recording_store.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <tuple>

namespace brigade {
namespace {

namespace fs = std::filesystem;

/// "YYYY-MM-DD-HHMMSS": the stem of a first recording in one second.
constexpr std::size_t kStampChars = 17;
/// Suffixes tried after the bare name before giving up.
constexpr int kMaxSameSecondRecordings = 1'000;

bool is_wav_name(const std::string& file) {
  if (file.size() <= 4 || file.front() == '.') return false;
  std::string ext = file.substr(file.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".wav";
}

/// Orders names by time: "…HHMMSS.wav" < "…HHMMSS-2.wav" < "…HHMMSS-10.wav". Names not of
/// our form compare by their plain stem.
std::tuple<std::string, long, std::string> age_key(const std::string& file) {
  const std::string stem = file.substr(0, file.size() - 4);
  if (stem.size() > kStampChars + 1 && stem[kStampChars] == '-' && stem.size() < kStampChars + 8 &&
      std::all_of(stem.begin() + kStampChars + 1, stem.end(),
                  [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return {stem.substr(0, kStampChars), std::stol(stem.substr(kStampChars + 1)), file};
  }
  return {stem, stem.size() == kStampChars ? 1 : 0, file};
}

std::string utc_stamp(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d-%H%M%S", &tm);
  return buf;
}

/// True if the RIFF size in the header accounts for exactly the file's length.
bool header_matches_length(const fs::path& path, std::uintmax_t bytes) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[8] = {};
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return false;
  const std::uintmax_t riff = std::uintmax_t{h[4]} | std::uintmax_t{h[5]} << 8 |
                              std::uintmax_t{h[6]} << 16 | std::uintmax_t{h[7]} << 24;
  return std::equal(h, h + 4, "RIFF") && riff + 8 == bytes;
}

/// The *.wav file names in `dir`, oldest first.
std::vector<std::string> wav_files_oldest_first(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    const std::string file = it->path().filename().string();
    // symlink_status: a symlink is never listed, served or pruned, wherever it points.
    if (is_wav_name(file) && fs::is_regular_file(it->symlink_status(type_ec))) {
      files.push_back(file);
    }
  }
  std::sort(files.begin(), files.end(),
            [](const std::string& a, const std::string& b) { return age_key(a) < age_key(b); });
  return files;
}

}  // namespace

RecordingStore::RecordingStore(std::filesystem::path dir, int keep)
    : dir_(std::move(dir)), keep_(static_cast<std::size_t>(std::max(keep, 1))) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_, ec)) {
    throw std::runtime_error("cannot create recordings directory " + dir_.string() + ": " +
                             (ec ? ec.message() : "not a directory"));
  }
}

RecordingStore::~RecordingStore() {
  std::lock_guard lock(mutex_);
  (void)finish_locked();
}

Result<std::string> RecordingStore::start(std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  // A failure to finish the previous file was already visible in its appends; it must not
  // prevent the next song from being recorded.
  (void)finish_locked();
  const std::string stamp = utc_stamp(now);
  for (int n = 1; n <= kMaxSameSecondRecordings; ++n) {
    // Built by appends: GCC 12 -O3 warns falsely (-Wrestrict, bug 105329) on "-" + string.
    std::string name = stamp;
    if (n > 1) name.append("-").append(std::to_string(n));
    name.append(".wav");
    std::error_code ec;
    if (fs::exists(dir_ / name, ec)) continue;
    auto writer = WavWriter::create(dir_ / name);
    if (!writer) {
      if (fs::exists(dir_ / name, ec)) continue;  // created by someone else meanwhile
      return Error{"cannot start recording: " + writer.error()};
    }
    writer_.emplace(std::move(writer).value());
    prune_locked();
    return name;
  }
  return Error{"cannot start recording: too many recordings named " + stamp};
}

Result<void> RecordingStore::append(std::span<const float> samples) {
  std::lock_guard lock(mutex_);
  if (!writer_) return Error{"no recording open"};
  return writer_->append(samples);
}

Result<void> RecordingStore::finish() {
  std::lock_guard lock(mutex_);
  if (!writer_) return {};
  Result<void> r = finish_locked();
  prune_locked();
  return r;
}

Result<void> RecordingStore::finish_locked() {
  if (!writer_) return {};
  Result<void> r = writer_->finish();
  writer_.reset();
  return r;
}

void RecordingStore::prune_locked() {
  const std::vector<std::string> files = wav_files_oldest_first(dir_);
  if (files.size() <= keep_) return;
  const std::string open = writer_ ? writer_->path().filename().string() : std::string();
  for (std::size_t i = 0; i + keep_ < files.size(); ++i) {
    if (files[i] == open) continue;
    std::error_code ec;
    fs::remove(dir_ / files[i], ec);
  }
}

std::optional<std::string> RecordingStore::current() const {
  std::lock_guard lock(mutex_);
  if (!writer_) return std::nullopt;
  return writer_->path().filename().string();
}

std::uint64_t RecordingStore::current_samples() const {
  std::lock_guard lock(mutex_);
  return writer_ ? writer_->samples() : 0;
}

std::vector<RecordingEntry> RecordingStore::list() const {
  std::lock_guard lock(mutex_);
  const std::string open = writer_ ? writer_->path().filename().string() : std::string();
  std::vector<RecordingEntry> entries;
  std::vector<std::string> files = wav_files_oldest_first(dir_);
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    std::error_code ec;
    const fs::path path = dir_ / *it;
    const std::uintmax_t bytes = fs::file_size(path, ec);
    if (ec) continue;  // removed meanwhile
    entries.push_back({*it, bytes, *it != open && header_matches_length(path, bytes)});
  }
  return entries;
}

}  // namespace brigade
