// brigade: the one image a leader may show the choir (the original page's "Upload Image"),
// kept in memory and served at /user-upload-image, where that page fetches it.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api_error.hpp"

namespace brigade::server {

/// Largest image accepted, bytes (the original page refuses files over 16 MB itself).
inline constexpr std::size_t kMaxImageUploadBytes = std::size_t{16} << 20;

/// The image's content type from its first bytes: PNG, JPEG, GIF or WebP; empty for anything
/// else (SVG and HTML are never served back: they could carry script).
std::string_view sniff_image_type(std::string_view bytes);

/// Thread-safe holder of the latest uploaded image. Each upload replaces the previous one.
class ImageStore {
 public:
  struct Image {
    std::string_view content_type;  ///< a literal from sniff_image_type
    std::shared_ptr<const std::string> bytes;
  };

  /// Stores `bytes` when they are a PNG, JPEG, GIF or WebP of at most kMaxImageUploadBytes;
  /// otherwise returns why not (415, bad_upload; the router checks the size first, 413) and
  /// keeps the previous image.
  MaybeError put(std::string_view bytes);

  /// The current image, if any.
  std::optional<Image> get() const;

 private:
  mutable std::mutex mutex_;
  std::optional<Image> image_;
};

}  // namespace brigade::server
