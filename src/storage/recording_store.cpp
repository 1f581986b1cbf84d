// brigade: recording file naming, retention and listing.
#include "brigade/storage/recording_store.hpp"

#include "brigade/constants.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
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

/// "X.wav" → "X"; a companion "X.info" or "X.stems.zip" → "X".
std::string stem_of(const std::string& file) {
  return file.substr(0, file.find('.'));
}

/// Bytes of a file, or of everything below a folder.
std::uintmax_t entry_bytes(const fs::directory_entry& e) {
  std::error_code ec;
  if (e.is_regular_file(ec)) return e.file_size(ec);
  std::uintmax_t total = 0;
  if (!e.is_directory(ec)) return 0;
  for (fs::recursive_directory_iterator it(e.path(), ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += it->file_size(size_ec);
  }
  return total;
}

/// Companion entries (not the WAV itself) by recording stem, with their bytes.
std::map<std::string, std::vector<std::pair<fs::path, std::uintmax_t>>> companions(
    const fs::path& dir) {
  std::map<std::string, std::vector<std::pair<fs::path, std::uintmax_t>>> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file.front() == '.' || is_wav_name(file) || file.find('.') == std::string::npos) continue;
    std::error_code link_ec;
    if (it->is_symlink(link_ec)) continue;  // never counted, read or pruned through
    out[stem_of(file)].emplace_back(it->path(), entry_bytes(*it));
  }
  return out;
}

bool is_stem_name(const std::string& file) {
  return file.size() > 5 && file.front() != '.' && file.ends_with(".opus");
}

/// The song's stems, by name.
std::vector<StemEntry> list_stems(const fs::path& stems_dir) {
  std::vector<StemEntry> stems;
  std::error_code ec;
  for (fs::directory_iterator it(stems_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    const std::string file = it->path().filename().string();
    if (!is_stem_name(file) || !it->is_regular_file(entry_ec)) continue;
    const std::uintmax_t bytes = it->file_size(entry_ec);
    if (!entry_ec) stems.push_back({file, bytes});
  }
  std::sort(stems.begin(), stems.end(),
            [](const StemEntry& a, const StemEntry& b) { return a.name < b.name; });
  return stems;
}

constexpr std::string_view kLeaderKey = "leader=";
constexpr std::string_view kStartKey = "song_start_clock=";

void write_info(const fs::path& path, const RecordingInfo& info) {
  std::error_code ec;
  if (fs::is_symlink(path, ec)) return;  // never written through a link planted in the folder
  std::string leader = info.leader;
  for (char& c : leader) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // one line per key
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << kLeaderKey << leader << '\n' << kStartKey << info.song_start_clock << '\n';
}

RecordingInfo read_info(const fs::path& path) {
  RecordingInfo info;
  std::error_code ec;
  if (fs::is_symlink(path, ec)) return info;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(kLeaderKey)) info.leader = line.substr(kLeaderKey.size());
    if (line.starts_with(kStartKey)) {
      try {
        info.song_start_clock = std::stoll(line.substr(kStartKey.size()));
      } catch (const std::exception&) {
        info.song_start_clock = 0;  // a damaged file only loses its clock
      }
    }
  }
  return info;
}

}  // namespace

std::string song_name(std::string_view recording_name) {
  return std::string(recording_name.substr(0, recording_name.size() - 4));
}

std::uintmax_t RecordingEntry::total_bytes() const {
  std::uintmax_t total = bytes;
  for (const auto& s : stems) total += s.bytes;
  return total;
}

RecordingStore::RecordingStore(std::filesystem::path dir, int keep, std::uintmax_t max_bytes)
    : dir_(std::move(dir)),
      keep_(static_cast<std::size_t>(std::max(keep, 1))),
      max_bytes_(max_bytes) {
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

Result<std::string> RecordingStore::start(std::chrono::system_clock::time_point now,
                                          RecordingInfo info) {
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
    // A stems directory of that name (left over) would mix someone else's stems into ours.
    if (fs::exists(dir_ / name, ec) || fs::exists(stems_dir(name), ec)) continue;
    auto writer = WavWriter::create(dir_ / name);
    if (!writer) {
      if (fs::exists(dir_ / name, ec)) continue;  // created by someone else meanwhile
      return Error{"cannot start recording: " + writer.error()};
    }
    writer_.emplace(std::move(writer).value());
    capped_ = false;
    write_info(dir_ / (stem_of(name) + ".info"), info);
    prune_locked();
    return name;
  }
  return Error{"cannot start recording: too many recordings named " + stamp};
}

Result<void> RecordingStore::append(std::span<const float> samples) {
  std::lock_guard lock(mutex_);
  if (!writer_) return Error{"no recording open"};
  if (capped_) return {};
  const std::uintmax_t after = kWavHeaderBytes + (writer_->samples() + samples.size()) * 2;
  if (closed_bytes_ + after > max_bytes_) {
    prune_locked(after);  // delete older recordings first
    if (closed_bytes_ + after > max_bytes_) {
      capped_ = true;
      return Error{
          "the recordings folder reached its size cap (--max-recordings-mb): this "
          "recording stops here"};
    }
  }
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

void RecordingStore::prune_locked(std::uintmax_t open_bytes) {
  const std::vector<std::string> files = wav_files_oldest_first(dir_);
  auto extra = companions(dir_);
  const std::string open = writer_ ? writer_->path().filename().string() : std::string();
  std::vector<std::uintmax_t> bytes(files.size());
  std::uintmax_t total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    bytes[i] = files[i] == open ? 0 : fs::file_size(dir_ / files[i], ec);
    if (ec) bytes[i] = 0;
    for (const auto& [path, size] : extra[stem_of(files[i])]) bytes[i] += size;
    total += bytes[i];
  }
  // The open recording's own WAV is counted as `open_bytes` (what append() is about to reach);
  // its companions are in `total`.
  std::size_t count = files.size();
  for (std::size_t i = 0; i < files.size() && (count > keep_ || total + open_bytes > max_bytes_);
       ++i) {
    if (files[i] == open) continue;
    std::error_code ec;
    fs::remove(dir_ / files[i], ec);
    for (const auto& [path, size] : extra[stem_of(files[i])]) fs::remove_all(path, ec);
    total -= bytes[i];
    --count;
  }
  closed_bytes_ = total;
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
    const double seconds = bytes > kWavHeaderBytes
                               ? static_cast<double>((bytes - kWavHeaderBytes) / 2) / kSampleRate
                               : 0.0;
    entries.push_back({*it, bytes, *it != open && header_matches_length(path, bytes), seconds,
                       read_info(dir_ / (stem_of(*it) + ".info")), list_stems(stems_dir(*it))});
  }
  return entries;
}

}  // namespace brigade
