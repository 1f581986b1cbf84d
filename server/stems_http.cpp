// brigade: stems over HTTP.
#include "stems_http.hpp"

#include <boost/json.hpp>
#include <chrono>

namespace brigade::server {
namespace {

namespace json = boost::json;

constexpr std::string_view kArchiveSuffix = ".tar";
constexpr std::string_view kRecordingsUrl = "/recordings/";

/// "<song>.stems", the stems' folder and their URL path.
std::string stems_folder(const RecordingEntry& e) {
  return song_name(e.name) + std::string(RecordingStore::kStemsSuffix);
}

std::string stem_url(const RecordingEntry& e, const StemEntry& s) {
  return std::string(kRecordingsUrl) + stems_folder(e) + "/" + s.name;
}

std::string archive_url(const RecordingEntry& e) {
  return std::string(kRecordingsUrl) + stems_folder(e) + std::string(kArchiveSuffix);
}

ApiResponse archive(const RecordingEntry& e, const std::filesystem::path& dir) {
  const std::string song = song_name(e.name);
  const std::string folder = stems_folder(e);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::vector<TarMember> members;
  for (const auto& s : e.stems) {
    members.push_back({folder + "/" + s.name, dir / folder / s.name, s.bytes, now});
  }
  for (const auto& m : members) {
    if (auto h = tar_header(m.name, m.bytes, m.mtime); !h) return error_response(500, h.error());
  }
  ApiResponse r;
  r.content_type = "application/x-tar";
  r.archive = std::move(members);
  r.cors = false;
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + song + "-stems" +
                                                    std::string(kArchiveSuffix) + "\"");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

std::optional<ApiResponse> stems_response(std::span<const RecordingEntry> entries,
                                          const std::filesystem::path& dir, std::string_view name) {
  if (name.ends_with(kArchiveSuffix)) {
    const std::string_view folder = name.substr(0, name.size() - kArchiveSuffix.size());
    for (const auto& e : entries) {
      if (stems_folder(e) == folder && !e.stems.empty()) return archive(e, dir);
    }
    return error_response(404, "no stems for that song");
  }
  const std::size_t slash = name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view folder = name.substr(0, slash);
  const std::string_view stem = name.substr(slash + 1);
  for (const auto& e : entries) {
    if (stems_folder(e) != folder) continue;
    for (const auto& s : e.stems) {
      if (s.name != stem) continue;
      ApiResponse r;
      r.content_type = "audio/ogg";
      r.file = dir / folder / s.name;
      r.cors = false;
      r.headers.emplace_back("Cache-Control", "no-cache");
      return r;
    }
  }
  return error_response(404, "no such stem");
}

void add_stems_json(json::object& entry, const RecordingEntry& recording) {
  json::array stems;
  for (const auto& s : recording.stems) {
    stems.push_back(
        json::object{{"name", s.name}, {"url", stem_url(recording, s)}, {"bytes", s.bytes}});
  }
  entry["stems"] = std::move(stems);
  entry["stems_archive"] =
      recording.stems.empty() ? json::value(nullptr) : json::value(archive_url(recording));
  entry["total_bytes"] = recording.total_bytes();
}

void append_stem_metrics(std::string& out, const StemQueue& stems) {
  const StemCounters& c = stems.counters;
  auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" counter\n");
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
  };
  counter("brigade_stem_uploads_queued_total", "Uploads queued for the singers' stems.",
          stems.queued());
  counter("brigade_stem_uploads_dropped_total",
          "Uploads not queued for the stems because the queue was full.", stems.dropped());
  counter("brigade_stem_uploads_refused_total",
          "Queued uploads not written: late for their song, too many stems, or an I/O error.",
          c.refused_uploads.load(std::memory_order_relaxed));
  counter("brigade_stem_files_total", "Stem files started.",
          c.stems.load(std::memory_order_relaxed));
  counter("brigade_stem_packets_total", "Uploaded Opus packets written to stems.",
          c.packets.load(std::memory_order_relaxed));
  counter("brigade_stem_silence_packets_total", "Silence packets written to fill stem gaps.",
          c.silence_packets.load(std::memory_order_relaxed));
  counter("brigade_stem_packets_dropped_total",
          "Uploaded packets left out of stems: overlapping, before the song or past its cap.",
          c.dropped_packets.load(std::memory_order_relaxed));
}

}  // namespace brigade::server
