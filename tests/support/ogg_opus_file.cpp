// brigade tests: Ogg Opus files read back.
#include "support/ogg_opus_file.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "brigade/codec/ogg_opus_writer.hpp"
#include "brigade/storage/wav.hpp"

namespace brigade::client {
namespace {

template <class T>
T get_le(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{b.at(at + i)} << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

std::vector<OggPage> read_ogg_pages(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  const std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
  std::vector<OggPage> pages;
  for (std::size_t at = 0; at < b.size();) {
    if (b.size() - at < 27 || std::string(b.begin() + at, b.begin() + at + 4) != "OggS") {
      throw std::runtime_error("no page at byte " + std::to_string(at));
    }
    OggPage p;
    p.flags = b[at + 5];
    p.granule = get_le<std::int64_t>(b, at + 6);
    p.serial = get_le<std::uint32_t>(b, at + 14);
    p.sequence = get_le<std::uint32_t>(b, at + 18);
    p.stored_crc = get_le<std::uint32_t>(b, at + 22);
    const std::size_t segments = b[at + 26];
    p.lacing.assign(b.begin() + at + 27, b.begin() + at + 27 + segments);
    std::size_t body = 0;
    for (auto l : p.lacing) body += l;
    const std::size_t size = 27 + segments + body;
    if (at + size > b.size())
      throw std::runtime_error("truncated page at byte " + std::to_string(at));
    std::vector<std::uint8_t> page(b.begin() + at, b.begin() + at + size);
    std::fill_n(page.begin() + 22, 4, 0);
    p.computed_crc = ogg_crc(page);
    p.body.assign(b.begin() + at + 27 + segments, b.begin() + at + size);
    pages.push_back(std::move(p));
    at += size;
  }
  return pages;
}

std::vector<std::vector<std::uint8_t>> ogg_packets(const std::vector<OggPage>& pages) {
  std::vector<std::vector<std::uint8_t>> packets;
  std::vector<std::uint8_t> current;
  for (const auto& p : pages) {
    std::size_t at = 0;
    for (const auto l : p.lacing) {
      current.insert(current.end(), p.body.begin() + at, p.body.begin() + at + l);
      at += l;
      if (l < 255) packets.push_back(std::exchange(current, {}));
    }
  }
  return packets;
}

int run_command(const std::string& command, std::string& output) {
  output.clear();
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe))
    output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<float> opusdec(const std::filesystem::path& file) {
  const std::filesystem::path wav = file.string() + ".decoded.wav";
  std::string output;
  const int rc = run_command(
      "opusdec --quiet --float --rate 48000 '" + file.string() + "' '" + wav.string() + "'",
      output);
  if (rc != 0) throw std::runtime_error("opusdec failed (" + std::to_string(rc) + "): " + output);
  auto pcm = read_wav_file(wav);
  std::error_code ec;
  std::filesystem::remove(wav, ec);
  if (!pcm) throw std::runtime_error("opusdec output: " + pcm.error());
  return std::move(pcm).value();
}

}  // namespace brigade::client
