// brigade tests: reading back the Ogg Opus files the server writes: the pages as they are on
// disk (for checking the muxing), and the audio as Debian's opusdec decodes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace brigade::client {

/// One Ogg page as stored.
struct OggPage {
  std::uint8_t flags = 0;  ///< 0x01 continued, 0x02 first, 0x04 last
  std::int64_t granule = 0;
  std::uint32_t serial = 0;
  std::uint32_t sequence = 0;
  std::uint32_t stored_crc = 0;
  std::uint32_t computed_crc = 0;  ///< over the page with the checksum field zeroed
  std::vector<std::uint8_t> lacing;
  std::vector<std::uint8_t> body;
};

/// The pages of a file, in order; throws std::runtime_error where it is not a well-formed
/// sequence of pages.
std::vector<OggPage> read_ogg_pages(const std::filesystem::path& file);

/// The packets of a sequence of pages (joined across pages).
std::vector<std::vector<std::uint8_t>> ogg_packets(const std::vector<OggPage>& pages);

/// The audio as `opusdec --float` decodes it (48 kHz mono; pre-skip and end trimming applied).
/// Throws std::runtime_error when opusdec fails.
std::vector<float> opusdec(const std::filesystem::path& file);

/// Runs a shell command; returns its exit status and fills `output` with stdout and stderr.
int run_command(const std::string& command, std::string& output);

}  // namespace brigade::client
