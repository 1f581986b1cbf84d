// brigade: ustar archives.
#include "brigade/storage/tar_archive.hpp"

#include <algorithm>
#include <cstring>

namespace brigade {
namespace {

/// The two zero blocks that end an archive.
constexpr std::uint64_t kTrailerBytes = 2 * kTarBlockBytes;

std::uint64_t padding(std::uint64_t bytes) {
  return (kTarBlockBytes - bytes % kTarBlockBytes) % kTarBlockBytes;
}

/// Writes `value` as zero-padded octal digits filling field[0, width - 1), then a NUL.
void put_octal(std::uint8_t* field, std::size_t width, std::uint64_t value) {
  field[width - 1] = 0;
  for (std::size_t i = width - 1; i-- > 0; value >>= 3) {
    field[i] = static_cast<std::uint8_t>('0' + (value & 7));
  }
}

void put_text(std::uint8_t* field, std::string_view text) {
  std::memcpy(field, text.data(), text.size());
}

}  // namespace

Result<TarHeader> tar_header(std::string_view name, std::uint64_t bytes, std::int64_t mtime) {
  if (name.empty() || name.size() > kMaxTarNameBytes) {
    return Error{"archive member name must be 1-100 bytes: " + std::string(name)};
  }
  if (bytes > kMaxTarMemberBytes) return Error{"archive member too large: " + std::string(name)};
  TarHeader h{};
  std::uint8_t* b = h.data();
  put_text(b, name);              // name[100]
  put_octal(b + 100, 8, 0644);    // mode
  put_octal(b + 108, 8, 0);       // uid
  put_octal(b + 116, 8, 0);       // gid
  put_octal(b + 124, 12, bytes);  // size
  put_octal(b + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
  std::memset(b + 148, ' ', 8);  // checksum, while summing
  b[156] = '0';                  // regular file
  put_text(b + 257, std::string_view("ustar\0"
                                     "00",
                                     8));  // magic and version
  put_text(b + 265, "brigade");            // owner name
  put_text(b + 297, "brigade");            // group name
  unsigned sum = 0;
  for (const std::uint8_t c : h) sum += c;
  put_octal(b + 148, 7, sum);  // six digits, NUL, and the space already there
  return h;
}

std::uint64_t tar_archive_bytes(std::span<const TarMember> members) {
  std::uint64_t total = kTrailerBytes;
  for (const auto& m : members) total += kTarBlockBytes + m.bytes + padding(m.bytes);
  return total;
}

Result<TarStream> TarStream::open(std::vector<TarMember> members) {
  for (const auto& m : members) {
    if (auto h = tar_header(m.name, m.bytes, m.mtime); !h) return Error{h.error()};
  }
  return TarStream(std::move(members));
}

TarStream::TarStream(std::vector<TarMember> members)
    : members_(std::move(members)), size_(tar_archive_bytes(members_)) {
  if (!members_.empty()) {
    header_ = tar_header(members_[0].name, members_[0].bytes, members_[0].mtime).value();
  }
}

std::size_t TarStream::read(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size() && position_ < size_) {
    const std::span<std::uint8_t> rest = out.subspan(done);
    std::size_t n = 0;
    if (index_ == members_.size()) {  // the trailer: zeros
      n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), size_ - position_));
      std::fill_n(rest.begin(), n, 0);
    } else if (part_ == Part::kHeader) {
      n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), kTarBlockBytes - offset_));
      std::copy_n(header_.begin() + static_cast<std::ptrdiff_t>(offset_), n, rest.begin());
      offset_ += n;
      if (offset_ == kTarBlockBytes) {
        part_ = Part::kData;
        offset_ = 0;
        file_.reset(std::fopen(members_[index_].file.c_str(), "rb"));
      }
    } else if (part_ == Part::kData) {
      n = read_data(rest);
    } else {
      const std::uint64_t pad = padding(members_[index_].bytes);
      n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), pad - offset_));
      std::fill_n(rest.begin(), n, 0);
      offset_ += n;
    }
    done += n;
    position_ += n;
    if (index_ < members_.size() && part_ == Part::kPadding &&
        offset_ == padding(members_[index_].bytes)) {
      offset_ = 0;
      part_ = Part::kHeader;
      if (++index_ < members_.size()) {
        const TarMember& m = members_[index_];
        header_ = tar_header(m.name, m.bytes, m.mtime).value();
      }
    }
  }
  return done;
}

std::size_t TarStream::read_data(std::span<std::uint8_t> out) {
  const TarMember& m = members_[index_];
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), m.bytes - offset_));
  std::size_t got = file_ ? std::fread(out.data(), 1, n, file_.get()) : 0;
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(got),
            out.begin() + static_cast<std::ptrdiff_t>(n), 0);
  if (got < n) file_.reset();  // short or unreadable: zeros from here on
  offset_ += n;
  if (offset_ == m.bytes) {
    file_.reset();
    part_ = Part::kPadding;
    offset_ = 0;
  }
  return n;
}

}  // namespace brigade
