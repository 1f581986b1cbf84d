// brigade: Ogg Opus muxing.
#include "brigade/codec/ogg_opus_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace brigade {
namespace {

constexpr std::uint8_t kContinuedFlag = 0x01;
constexpr std::uint8_t kBeginFlag = 0x02;
constexpr std::uint8_t kEndFlag = 0x04;
/// Largest lacing value; a smaller one ends a packet.
constexpr std::size_t kSegmentBytes = 255;
/// Where the checksum sits in a page header.
constexpr std::size_t kCrcOffset = 22;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t r = i << 24;
    for (int bit = 0; bit < 8; ++bit) r = (r & 0x8000'0000u) ? (r << 1) ^ 0x04C1'1DB7u : r << 1;
    table[i] = r;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

/// resize + memcpy: GCC 12 at -O3 warns falsely (-Wstringop-overflow) on vector::insert here.
void put_bytes(std::vector<std::uint8_t>& out, const void* data, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  if (n > 0) std::memcpy(out.data() + at, data, n);
}

template <class T>
void put_le(std::vector<std::uint8_t>& out, T value) {
  auto v = static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i, v >>= 8) out.push_back(static_cast<std::uint8_t>(v));
}

void put_text(std::vector<std::uint8_t>& out, std::string_view s) {
  put_bytes(out, s.data(), s.size());
}

/// RFC 7845 §5.1: version 1, one channel, mapping family 0, no output gain.
std::vector<std::uint8_t> opus_head(const OggOpusHeader& h) {
  std::vector<std::uint8_t> p;
  put_text(p, "OpusHead");
  p.push_back(1);  // version
  p.push_back(1);  // channels
  put_le(p, h.pre_skip);
  put_le(p, std::uint32_t{kSampleRate});  // input sample rate, informational
  put_le(p, std::int16_t{0});             // output gain
  p.push_back(0);                         // channel mapping family
  return p;
}

/// RFC 7845 §5.2: vendor string and user comments, each with a 32-bit length.
std::vector<std::uint8_t> opus_tags(const OggOpusHeader& h) {
  std::vector<std::uint8_t> p;
  put_text(p, "OpusTags");
  put_le(p, static_cast<std::uint32_t>(h.vendor.size()));
  put_text(p, h.vendor);
  put_le(p, static_cast<std::uint32_t>(h.comments.size()));
  for (const auto& c : h.comments) {
    put_le(p, static_cast<std::uint32_t>(c.size()));
    put_text(p, c);
  }
  return p;
}

}  // namespace

std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0;
  for (const std::uint8_t b : bytes) crc = (crc << 8) ^ kCrcTable[((crc >> 24) ^ b) & 0xFF];
  return crc;
}

Result<OggOpusWriter> OggOpusWriter::create(const std::filesystem::path& path,
                                            const OggOpusHeader& header) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wbx"));
  if (!file) return Error{"cannot create " + path.string() + ": " + std::strerror(errno)};
  // Each page goes out in one write call, so the file always ends on a page boundary.
  std::setvbuf(file.get(), nullptr, _IONBF, 0);
  OggOpusWriter w(std::move(file), path, header.serial);
  w.page_granule_ = 0;
  if (auto r = w.add_packet(opus_head(header)); !r) return Error{r.error()};
  if (auto r = w.write_page(kBeginFlag); !r) return Error{r.error()};
  w.page_granule_ = 0;
  if (auto r = w.add_packet(opus_tags(header)); !r) return Error{r.error()};
  w.page_granule_ = 0;
  if (auto r = w.write_page(0); !r) return Error{r.error()};
  return w;
}

OggOpusWriter::OggOpusWriter(std::unique_ptr<std::FILE, FileCloser> file,
                             std::filesystem::path path, std::uint32_t serial)
    : file_(std::move(file)), path_(std::move(path)), serial_(serial) {
  lacing_.reserve(kMaxSegments);
  page_.reserve(kPageHeaderBytes + kMaxSegments * (1 + kSegmentBytes));
}

OggOpusWriter::~OggOpusWriter() {
  (void)finish();
}

Result<void> OggOpusWriter::append(std::span<const std::uint8_t> packet, int samples) {
  if (!file_) return Error{"stream already finished"};
  if (samples < 0) return Error{"negative packet duration"};
  if (page_samples_ >= kPageSamples) {
    if (auto r = write_page(0); !r) return r;
  }
  if (auto r = add_packet(packet); !r) return r;
  granule_ += samples;
  page_granule_ = granule_;
  page_samples_ += samples;
  return {};
}

Result<void> OggOpusWriter::add_packet(std::span<const std::uint8_t> packet) {
  bool started = false;
  for (;;) {
    if (lacing_.size() == kMaxSegments) {
      if (auto r = write_page(0); !r) return r;
      continued_ = started;
    }
    const std::size_t n = std::min(packet.size(), kSegmentBytes);
    lacing_.push_back(static_cast<std::uint8_t>(n));
    put_bytes(body_, packet.data(), n);
    packet = packet.subspan(n);
    started = true;
    if (n < kSegmentBytes) return {};  // a lacing value below 255 ends the packet
  }
}

Result<void> OggOpusWriter::write_page(std::uint8_t flags) {
  page_.clear();
  put_text(page_, "OggS");
  page_.push_back(0);  // stream structure version
  page_.push_back(static_cast<std::uint8_t>(flags | (continued_ ? kContinuedFlag : 0)));
  put_le(page_, page_granule_);  // -1 (all ones): no packet ends on this page
  put_le(page_, serial_);
  put_le(page_, sequence_);
  put_le(page_, std::uint32_t{0});  // checksum, filled below
  page_.push_back(static_cast<std::uint8_t>(lacing_.size()));
  put_bytes(page_, lacing_.data(), lacing_.size());
  put_bytes(page_, body_.data(), body_.size());
  const std::uint32_t crc = ogg_crc(page_);
  for (std::size_t i = 0; i < 4; ++i)
    page_[kCrcOffset + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  if (std::fwrite(page_.data(), 1, page_.size(), file_.get()) != page_.size()) {
    return Error{"cannot write " + path_.string() + ": " + std::strerror(errno)};
  }
  bytes_ += page_.size();
  ++sequence_;
  lacing_.clear();
  body_.clear();
  page_granule_ = -1;
  page_samples_ = 0;
  continued_ = false;
  return {};
}

Result<void> OggOpusWriter::finish() {
  if (!file_) return {};
  if (lacing_.empty()) page_granule_ = granule_;  // an empty page only carries the end flag
  Result<void> r = write_page(kEndFlag);
  std::FILE* f = file_.release();
  const bool synced = ::fsync(::fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (r && !(synced && closed)) {
    return Error{"cannot finish " + path_.string() + ": " + std::strerror(errno)};
  }
  return r;
}

}  // namespace brigade
