// brigade: mapping URL paths to files under the web root, safely.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace brigade::server {

/// The file a URL path names under `root` (a canonical directory), or nothing when it does not
/// exist or would escape the root ("..", encoded or not, or a symlink pointing outside).
/// "/" and directories map to their index.html.
std::optional<std::filesystem::path> resolve_static(const std::filesystem::path& root,
                                                    std::string_view url_path);

/// Content-Type for a file name, by extension (application/octet-stream when unknown).
std::string_view mime_type(const std::filesystem::path& file);

}  // namespace brigade::server
