// brigade: Ogg Opus files (RFC 7845) from Opus packets as they are, without re-encoding: an
// OpusHead page, an OpusTags page, then audio pages whose granule positions count 48 kHz samples.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "brigade/constants.hpp"
#include "brigade/result.hpp"

namespace brigade {

/// What the two header packets say.
struct OggOpusHeader {
  /// Samples (48 kHz) a player drops from the start of the decoded stream.
  std::uint16_t pre_skip = 0;
  /// The logical stream's serial number.
  std::uint32_t serial = 0;
  /// OpusTags vendor string.
  std::string vendor = "brigade";
  /// OpusTags user comments, "KEY=value".
  std::vector<std::string> comments;
};

/// CRC-32 of an Ogg page as RFC 3533 defines it (polynomial 0x04C11DB7, initial value 0, no
/// bit reflection, no final xor), over the page with its checksum field zeroed.
std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes);

/// Streams one mono Ogg Opus file. Packets are copied into the pending page; a page is written
/// (one write call) once it holds about a second of audio or 255 lacing values, so a file whose
/// process dies is a valid stream short of its last second. Packets of any size are split across
/// pages as Ogg allows. Not thread-safe; movable.
class OggOpusWriter {
 public:
  /// Audio on one page before it is written: 1 s (RFC 7845 asks for short pages for seeking).
  static constexpr std::int64_t kPageSamples = kSampleRate;
  /// Lacing values on one page (the count is one byte).
  static constexpr std::size_t kMaxSegments = 255;
  /// Ogg's page header before the lacing values.
  static constexpr std::size_t kPageHeaderBytes = 27;

  /// Creates `path`, which must not exist yet, and writes the OpusHead and OpusTags pages.
  static Result<OggOpusWriter> create(const std::filesystem::path& path,
                                      const OggOpusHeader& header);

  OggOpusWriter(OggOpusWriter&&) noexcept = default;
  OggOpusWriter& operator=(OggOpusWriter&&) noexcept = default;
  OggOpusWriter(const OggOpusWriter&) = delete;
  OggOpusWriter& operator=(const OggOpusWriter&) = delete;
  /// Finishes the file if finish() was not called (errors are dropped here).
  ~OggOpusWriter();

  /// Adds one Opus packet that decodes to `samples` samples at 48 kHz.
  Result<void> append(std::span<const std::uint8_t> packet, int samples);
  /// Writes the pending page with the end-of-stream flag and closes the file. Again: no-op.
  Result<void> finish();

  /// Samples of every packet appended (pre-skip included): the last page's granule position.
  std::int64_t granule() const { return granule_; }
  /// Bytes written to the file so far.
  std::uint64_t bytes_written() const { return bytes_; }
  /// Where the file is.
  const std::filesystem::path& path() const { return path_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  OggOpusWriter(std::unique_ptr<std::FILE, FileCloser> file, std::filesystem::path path,
                std::uint32_t serial);
  /// Puts one packet's lacing values and bytes on pending pages (writing full ones).
  Result<void> add_packet(std::span<const std::uint8_t> packet);
  /// Writes the pending page; `flags`: 0x02 beginning, 0x04 end of stream.
  Result<void> write_page(std::uint8_t flags);

  std::unique_ptr<std::FILE, FileCloser> file_;  ///< null after finish()
  std::filesystem::path path_;
  std::uint32_t serial_ = 0;
  std::uint32_t sequence_ = 0;        ///< next page's sequence number
  std::vector<std::uint8_t> lacing_;  ///< pending page's lacing values
  std::vector<std::uint8_t> body_;    ///< pending page's packet bytes
  std::vector<std::uint8_t> page_;    ///< the page as written (reused)
  std::int64_t granule_ = 0;          ///< after the last packet appended
  std::int64_t page_granule_ = -1;    ///< after the last packet that ends on the pending page
  std::int64_t page_samples_ = 0;     ///< audio of the packets on the pending page
  bool continued_ = false;            ///< the pending page starts inside a packet
  std::uint64_t bytes_ = 0;
};

}  // namespace brigade
