// brigade: uploaded audio decoding with libsndfile reading from memory.
#include "brigade/storage/audio_file.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "brigade/constants.hpp"
#include "brigade/storage/wav.hpp"

namespace brigade {
namespace {

/// Frames read from libsndfile per call.
constexpr sf_count_t kReadBlockFrames = 4'096;

bool starts_with(std::span<const std::uint8_t> b, std::size_t at, std::string_view tag) {
  return b.size() >= at + tag.size() && std::memcmp(b.data() + at, tag.data(), tag.size()) == 0;
}

/// An MPEG audio frame header: 11 sync bits, a valid version and layer III.
bool is_mpeg_layer3_sync(std::span<const std::uint8_t> b) {
  if (b.size() < 4 || b[0] != 0xFF || (b[1] & 0xE0) != 0xE0) return false;
  const int version = (b[1] >> 3) & 0x3;
  const int layer = (b[1] >> 1) & 0x3;
  return version != 1 && layer == 1;
}

/// The libsndfile major formats each container may turn out to be.
bool format_matches(AudioContainer c, int major) {
  switch (c) {
    case AudioContainer::kWav:
      return major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_RF64;
    case AudioContainer::kMp3:
      return major == SF_FORMAT_MPEG;
    case AudioContainer::kFlac:
      return major == SF_FORMAT_FLAC;
    case AudioContainer::kOgg:
      return major == SF_FORMAT_OGG;
    case AudioContainer::kAiff:
      return major == SF_FORMAT_AIFF;
    case AudioContainer::kUnknown:
      break;
  }
  return false;
}

/// libsndfile's virtual I/O over a byte span (read-only).
struct MemoryReader {
  std::span<const std::uint8_t> bytes;
  sf_count_t pos = 0;

  static MemoryReader& of(void* p) { return *static_cast<MemoryReader*>(p); }
  static sf_count_t length(void* p) { return static_cast<sf_count_t>(of(p).bytes.size()); }
  static sf_count_t seek(sf_count_t offset, int whence, void* p) {
    MemoryReader& m = of(p);
    const sf_count_t base = whence == SEEK_CUR ? m.pos : whence == SEEK_END ? length(p) : 0;
    const sf_count_t target = base + offset;
    if (target < 0 || target > length(p)) return -1;
    m.pos = target;
    return m.pos;
  }
  static sf_count_t read(void* out, sf_count_t count, void* p) {
    MemoryReader& m = of(p);
    const sf_count_t n = std::clamp<sf_count_t>(count, 0, length(p) - m.pos);
    std::memcpy(out, m.bytes.data() + m.pos, static_cast<std::size_t>(n));
    m.pos += n;
    return n;
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* p) { return of(p).pos; }
};

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

/// Reads every frame, averaging channels; an Error past `max_frames` or on a decode error.
Result<std::vector<float>> read_mono(SNDFILE* file, int channels, std::uint64_t max_frames,
                                     std::uint64_t announced_frames) {
  std::vector<float> block(static_cast<std::size_t>(kReadBlockFrames) *
                           static_cast<std::size_t>(channels));
  std::vector<float> mono;
  mono.reserve(static_cast<std::size_t>(std::min(announced_frames, max_frames)));
  for (;;) {
    const sf_count_t got = sf_readf_float(file, block.data(), kReadBlockFrames);
    if (got <= 0) break;
    if (mono.size() + static_cast<std::uint64_t>(got) > max_frames) {
      return Error{"audio too long"};
    }
    for (sf_count_t i = 0; i < got; ++i) {
      const float* frame = block.data() + i * channels;
      double sum = 0.0;
      for (int c = 0; c < channels; ++c) sum += frame[c];
      // Float files may hold anything, NaN and infinities included.
      const auto v = static_cast<float>(sum / channels);
      mono.push_back(std::isfinite(v) ? std::clamp(v, -1.0f, 1.0f) : 0.0f);
    }
  }
  if (const int e = sf_error(file); e != SF_ERR_NO_ERROR) {
    return Error{std::string("decode error: ") + sf_error_number(e)};
  }
  return mono;
}

}  // namespace

AudioContainer sniff_audio_container(std::span<const std::uint8_t> b) {
  if ((starts_with(b, 0, "RIFF") || starts_with(b, 0, "RF64")) && starts_with(b, 8, "WAVE")) {
    return AudioContainer::kWav;
  }
  if (starts_with(b, 0, "ID3") || is_mpeg_layer3_sync(b)) return AudioContainer::kMp3;
  if (starts_with(b, 0, "fLaC")) return AudioContainer::kFlac;
  if (starts_with(b, 0, "OggS")) return AudioContainer::kOgg;
  if (starts_with(b, 0, "FORM") && (starts_with(b, 8, "AIFF") || starts_with(b, 8, "AIFC"))) {
    return AudioContainer::kAiff;
  }
  return AudioContainer::kUnknown;
}

std::string_view to_string(AudioContainer c) {
  switch (c) {
    case AudioContainer::kWav:
      return "WAV";
    case AudioContainer::kMp3:
      return "MP3";
    case AudioContainer::kFlac:
      return "FLAC";
    case AudioContainer::kOgg:
      return "Ogg";
    case AudioContainer::kAiff:
      return "AIFF";
    case AudioContainer::kUnknown:
      break;
  }
  return "unknown";
}

bool is_decodable(AudioContainer c) {
  return c == AudioContainer::kWav || c == AudioContainer::kMp3 || c == AudioContainer::kFlac ||
         c == AudioContainer::kAiff;
}

Result<std::vector<float>> decode_audio_file(std::span<const std::uint8_t> bytes,
                                             std::uint32_t max_seconds) {
  const AudioContainer container = sniff_audio_container(bytes);
  if (container == AudioContainer::kOgg) {
    return Error{"Ogg files are not accepted; please send WAV, MP3, FLAC or AIFF"};
  }
  if (!is_decodable(container)) return Error{std::string(kNotDecodableMessage)};
  const std::string kind(to_string(container));
  MemoryReader reader{bytes};
  SF_VIRTUAL_IO io{&MemoryReader::length, &MemoryReader::seek, &MemoryReader::read,
                   &MemoryReader::write, &MemoryReader::tell};
  SF_INFO info{};
  SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &reader));
  if (!file) return Error{"unreadable " + kind + " file: " + sf_strerror(nullptr)};
  if (!format_matches(container, info.format & SF_FORMAT_TYPEMASK)) {
    return Error{"not a " + kind + " file"};
  }
  if (info.channels < 1 || info.channels > kMaxDecodeChannels) {
    return Error{kind + " file has an unsupported channel count"};
  }
  if (info.samplerate < kMinDecodeSampleRateHz || info.samplerate > kMaxDecodeSampleRateHz) {
    return Error{kind + " file has an unsupported sample rate"};
  }
  const auto rate = static_cast<std::uint64_t>(info.samplerate);
  const std::uint64_t max_frames = std::min(kMaxDecodedFrames, std::uint64_t{max_seconds} * rate);
  const std::string too_long = "audio longer than " + std::to_string(max_frames / rate) + " s";
  // An announced length is checked before any decoding work.
  if (info.frames > 0 && info.frames != SF_COUNT_MAX &&
      static_cast<std::uint64_t>(info.frames) > max_frames) {
    return Error{too_long};
  }
  sf_command(file.get(), SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
  const std::uint64_t announced =
      info.frames > 0 && info.frames != SF_COUNT_MAX ? static_cast<std::uint64_t>(info.frames) : 0;
  auto mono = read_mono(file.get(), info.channels, max_frames, announced);
  if (!mono) return Error{mono.error() == "audio too long" ? too_long : mono.error()};
  if (mono.value().empty()) return Error{kind + " file has no audio"};
  if (info.samplerate == kSampleRate) return mono;
  return resample_to_48k(mono.value(), static_cast<std::uint32_t>(info.samplerate));
}

}  // namespace brigade
