// brigade: uncompressed POSIX ustar archives, produced as a stream: per member a 512-byte header,
// the file's bytes and zeros to a whole block; two zero blocks at the end. The size is known
// before the first byte, so a server can announce it and stream the archive from the files
// without a copy on disk.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/result.hpp"

namespace brigade {

/// Ustar's block.
inline constexpr std::size_t kTarBlockBytes = 512;
/// Longest member name: ustar's name field (we do not split names into its prefix field).
inline constexpr std::size_t kMaxTarNameBytes = 100;
/// Largest member: 11 octal digits of size.
inline constexpr std::uint64_t kMaxTarMemberBytes = (std::uint64_t{1} << 33) - 1;

/// One file of an archive.
struct TarMember {
  std::string name;            ///< path inside the archive
  std::filesystem::path file;  ///< where its bytes are
  std::uint64_t bytes = 0;     ///< how many bytes of it the archive holds (its size when listed)
  std::int64_t mtime = 0;      ///< modification time, seconds since the epoch
};

using TarHeader = std::array<std::uint8_t, kTarBlockBytes>;

/// The ustar header of a regular file (mode 0644), or an Error when the name is empty or longer
/// than kMaxTarNameBytes or the size exceeds kMaxTarMemberBytes.
Result<TarHeader> tar_header(std::string_view name, std::uint64_t bytes, std::int64_t mtime);

/// Bytes of the whole archive of `members`.
std::uint64_t tar_archive_bytes(std::span<const TarMember> members);

/// Reads an archive of files out piece by piece. Each member's file is opened when its turn
/// comes and exactly `bytes` of it are read: a file that has grown contributes its first
/// `bytes`; one that is shorter or gone meanwhile is padded with zeros, so the archive always
/// has the announced size and stays well-formed. Not thread-safe; movable.
class TarStream {
 public:
  /// Checks every member's header fields.
  static Result<TarStream> open(std::vector<TarMember> members);

  /// Fills `out` with the next bytes; returns how many (0 once everything was read).
  std::size_t read(std::span<std::uint8_t> out);
  /// Bytes of the whole archive, and those not read yet.
  std::uint64_t size() const { return size_; }
  std::uint64_t remaining() const { return size_ - position_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  enum class Part { kHeader, kData, kPadding };

  explicit TarStream(std::vector<TarMember> members);
  /// Copies member data (or zeros where the file falls short) into `out`.
  std::size_t read_data(std::span<std::uint8_t> out);

  std::vector<TarMember> members_;
  std::uint64_t size_ = 0;
  std::uint64_t position_ = 0;
  std::size_t index_ = 0;  ///< member being read; members_.size() = the trailer
  Part part_ = Part::kHeader;
  std::uint64_t offset_ = 0;  ///< within the current part
  TarHeader header_{};
  std::unique_ptr<std::FILE, FileCloser> file_;
};

}  // namespace brigade
