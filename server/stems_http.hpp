// brigade: the singers' stems over HTTP, under /recordings/: a JSON index of every song with its
// stems, each stem as a file, a song's stems as one tar streamed from the files, a block of the
// HTML listing, and the stem pipeline's counters for /metrics.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api_response.hpp"
#include "brigade/recording_store.hpp"
#include "stem_queue.hpp"

namespace brigade::server {

/// The JSON index's path under /recordings/.
inline constexpr std::string_view kRecordingsIndexName = "index.json";

/// Answers GET /recordings/<name> for the stems' names: "index.json", "<song>.tar" and
/// "<song>/<stem>.opus" (only names the listing holds, so no path escapes `dir`). Nothing for
/// any other name.
std::optional<ApiResponse> stems_response(std::span<const RecordingEntry> entries,
                                          const std::filesystem::path& dir, std::string_view name);

/// Appends one recording's stems to the HTML listing (an <li class="stems"> after the
/// recording's own <li>): a link per stem and one to the archive. Nothing when it has none.
void append_stems_html(std::string& html, const RecordingEntry& entry);

/// Appends the stem pipeline's counters in Prometheus text form.
void append_stem_metrics(std::string& out, const StemQueue& stems);

}  // namespace brigade::server
