// brigade: static files.
#include "static_files.hpp"

#include <array>
#include <string>
#include <utility>

#include "query.hpp"

namespace brigade::server {
namespace fs = std::filesystem;

std::optional<fs::path> resolve_static(const fs::path& root, std::string_view url_path) {
  std::string decoded;
  if (!percent_decode(url_path, decoded, false)) return std::nullopt;
  if (decoded.empty() || decoded.front() != '/') return std::nullopt;
  if (decoded.find('\0') != std::string::npos || decoded.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  // No ".." segment at all: simpler to audit than normalizing.
  for (std::size_t start = 1; start <= decoded.size();) {
    const std::size_t slash = decoded.find('/', start);
    const std::size_t end = slash == std::string::npos ? decoded.size() : slash;
    if (decoded.compare(start, end - start, "..") == 0) return std::nullopt;
    start = end + 1;
  }
  fs::path candidate = root / fs::path(decoded.substr(1));
  std::error_code ec;
  if (fs::is_directory(candidate, ec)) candidate /= "index.html";
  const fs::path real = fs::canonical(candidate, ec);
  if (ec || !fs::is_regular_file(real, ec)) return std::nullopt;
  // Symlinks must not lead out of the root.
  const auto [root_end, real_it] =
      std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (root_end != root.end()) return std::nullopt;
  return real;
}

std::string_view mime_type(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".wav", "audio/wav"},
      {".mp3", "audio/mpeg"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
  }};
  const std::string ext = file.extension().string();
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

}  // namespace brigade::server
