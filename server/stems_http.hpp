// brigade: the singers' stems over HTTP, under /recordings/: each stem as a file, a song's
// stems as one tar streamed from the files, their entries in the recordings listing, and the
// stem pipeline's counters for /metrics.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api_response.hpp"
#include "brigade/storage/recording_store.hpp"
#include "stem_queue.hpp"

namespace brigade::server {

/// Answers GET /recordings/<name> for the stems' names, "<song>.stems.tar" and
/// "<song>.stems/<stem>.opus" (only names the listing holds, so no path escapes `dir`).
/// Nothing for any other name.
std::optional<ApiResponse> stems_response(std::span<const RecordingEntry> entries,
                                          const std::filesystem::path& dir, std::string_view name);

/// Sets a recording's "stems" ([{name, url, bytes}]), "stems_archive" (url or null) and
/// "total_bytes" (mix and stems) in its listing entry.
void add_stems_json(boost::json::object& entry, const RecordingEntry& recording);

/// Appends the stem pipeline's counters in Prometheus text form.
void append_stem_metrics(std::string& out, const StemQueue& stems);

}  // namespace brigade::server
