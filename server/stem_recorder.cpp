// brigade: the stem recorder.
#include "stem_recorder.hpp"

#include <random>

#include "log.hpp"

namespace brigade::server {

StemRecorder::StemRecorder(Clock max_song_samples, StemCounters& counters)
    : max_song_samples_(max_song_samples),
      next_serial_(static_cast<std::uint32_t>(std::random_device{}())),
      counters_(counters) {}

std::string StemRecorder::file_name(std::string_view singer, UserId user) {
  std::string out;
  for (const char c : singer) {
    if (out.size() == kMaxFileNameStemBytes) break;
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_';
    out.push_back(plain ? c : '_');
  }
  if (out.find_first_not_of('_') == std::string::npos) out = "singer";
  out.append("-").append(std::to_string(user)).append(".opus");
  return out;
}

void StemRecorder::begin_song(std::filesystem::path dir) {
  finish_song();
  dir_ = std::move(dir);
  open_ = true;
}

void StemRecorder::finish_song() {
  for (auto& [user, track] : tracks_) {
    if (auto r = track.finish(); !r) fail(r.error());
  }
  tracks_.clear();
  failed_.clear();
  open_ = false;
}

void StemRecorder::add(const StemUpload& upload, PacketSpans packets) {
  if (!open_ || failed_.contains(upload.user)) return refuse();
  if (auto it = tracks_.find(upload.user); it != tracks_.end()) {
    const StemCounts before = it->second.counts();
    if (auto r = it->second.add(upload.begin, packets); !r) fail(r.error());
    count(before, it->second.counts());
    return;
  }
  if (tracks_.size() >= kMaxStemsPerSong) return refuse();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  OggOpusHeader header;
  header.serial = next_serial_++;
  header.comments = {"ARTIST=" + std::string(upload.name),
                     "BRIGADE_USERID=" + std::to_string(upload.user),
                     "BRIGADE_SONG_START_CLOCK=" + std::to_string(upload.song_start)};
  auto track =
      StemTrack::create(dir_ / file_name(upload.name, upload.user), std::move(header), silence_,
                        StemSong{upload.song_start, max_song_samples_}, upload.begin, packets);
  if (!track) {
    failed_.insert(upload.user);
    return fail(track.error());
  }
  count({}, track.value().counts());
  tracks_.emplace(upload.user, std::move(track).value());
  counters_.stems.fetch_add(1, std::memory_order_relaxed);
}

void StemRecorder::count(const StemCounts& before, const StemCounts& after) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  counters_.packets.fetch_add(after.packets - before.packets, kRelaxed);
  counters_.silence_packets.fetch_add(after.silence_packets - before.silence_packets, kRelaxed);
  counters_.dropped_packets.fetch_add(
      after.overlapping + after.outside - before.overlapping - before.outside, kRelaxed);
}

void StemRecorder::fail(const std::string& what) {
  refuse();
  log_line(LogLevel::kWarn, "stems: " + what);
}

}  // namespace brigade::server
