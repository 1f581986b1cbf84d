// brigade: the uploaded image.
#include "image_store.hpp"

namespace brigade::server {

std::string_view sniff_image_type(std::string_view b) {
  using namespace std::string_view_literals;
  if (b.starts_with("\x89PNG\r\n\x1a\n"sv)) return "image/png";
  if (b.starts_with("\xFF\xD8\xFF"sv)) return "image/jpeg";
  if (b.starts_with("GIF87a"sv) || b.starts_with("GIF89a"sv)) return "image/gif";
  if (b.size() >= 12 && b.starts_with("RIFF"sv) && b.substr(8, 4) == "WEBP"sv) {
    return "image/webp";
  }
  return {};
}

MaybeError ImageStore::put(std::string_view bytes) {
  auto refused = [](std::string_view why) {
    ApiError e = ApiError::of_status(415, why);
    e.reason = ErrorReason::kBadUpload;
    return e;
  };
  if (bytes.empty()) return refused("empty upload");
  if (bytes.size() > kMaxImageUploadBytes) return refused("image larger than 16 MiB");
  const std::string_view type = sniff_image_type(bytes);
  if (type.empty()) return refused("not an image (expected PNG, JPEG, GIF or WebP)");
  auto copy = std::make_shared<const std::string>(bytes);
  std::lock_guard lock(mutex_);
  image_ = Image{type, std::move(copy)};
  return std::nullopt;
}

std::optional<ImageStore::Image> ImageStore::get() const {
  std::lock_guard lock(mutex_);
  return image_;
}

}  // namespace brigade::server
