// brigade: WAV reading (chunk walker, sample decoding, mixdown, windowed-sinc resampling) and
// the streaming 16-bit writer.
#include "brigade/storage/wav.hpp"

#include <stdio_ext.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <system_error>

namespace brigade {
namespace {

constexpr std::uint16_t kFormatPcm = 0x0001;
constexpr std::uint16_t kFormatFloat = 0x0003;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
/// The 14 bytes that follow the format code in a KSDATAFORMAT_SUBTYPE_* GUID.
constexpr std::array<std::uint8_t, 14> kSubformatGuidTail = {
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
constexpr std::size_t kChunkHeaderBytes = 8;
constexpr std::size_t kFmtBasicBytes = 16;
constexpr std::size_t kFmtExtensibleBytes = 40;

std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}
bool tag_is(const std::uint8_t* p, const char (&tag)[5]) {
  return std::memcmp(p, tag, 4) == 0;
}

/// The fields of a fmt chunk that decoding needs, after validation.
struct Format {
  bool is_float = false;
  std::uint32_t channels = 0;
  std::uint32_t rate = 0;
  std::uint32_t bytes_per_sample = 0;
};

Result<Format> parse_fmt(std::span<const std::uint8_t> fmt) {
  if (fmt.size() < kFmtBasicBytes) return Error{"fmt chunk too short"};
  const std::uint8_t* p = fmt.data();
  std::uint16_t tag = le16(p);
  Format f;
  f.channels = le16(p + 2);
  f.rate = le32(p + 4);
  const std::uint32_t block_align = le16(p + 12);
  const std::uint32_t bits = le16(p + 14);
  if (tag == kFormatExtensible) {
    if (fmt.size() < kFmtExtensibleBytes || le16(p + 16) < 22) {
      return Error{"WAVE_FORMAT_EXTENSIBLE fmt chunk too short"};
    }
    if (!std::equal(kSubformatGuidTail.begin(), kSubformatGuidTail.end(), p + 26)) {
      return Error{"unsupported WAVE_FORMAT_EXTENSIBLE subformat"};
    }
    tag = le16(p + 24);
  }
  if (tag != kFormatPcm && tag != kFormatFloat) {
    return Error{"unsupported format tag " + std::to_string(tag) + " (PCM or IEEE float only)"};
  }
  f.is_float = tag == kFormatFloat;
  if (f.channels == 0) return Error{"zero channels"};
  if (f.channels > kMaxWavChannels) return Error{"too many channels"};
  if (f.rate < kMinWavSampleRateHz || f.rate > kMaxWavSampleRateHz) {
    return Error{"unsupported sample rate " + std::to_string(f.rate) + " Hz"};
  }
  const bool bits_ok = f.is_float ? (bits == 32 || bits == 64)
                                  : (bits == 8 || bits == 16 || bits == 24 || bits == 32);
  if (!bits_ok) return Error{"unsupported bits per sample " + std::to_string(bits)};
  f.bytes_per_sample = bits / 8;
  if (block_align != f.channels * f.bytes_per_sample) {
    return Error{"block align does not match channels and bits per sample"};
  }
  return f;
}

/// Sample `i` of the interleaved data as a float in [-1, 1].
float decode_sample(const std::uint8_t* p, const Format& f) {
  if (f.is_float) {
    double v = 0;
    if (f.bytes_per_sample == 4) {
      float x;
      const std::uint32_t u = le32(p);
      std::memcpy(&x, &u, sizeof x);
      v = x;
    } else {
      const std::uint64_t u = std::uint64_t{le32(p)} | (std::uint64_t{le32(p + 4)} << 32);
      std::memcpy(&v, &u, sizeof v);
    }
    if (!std::isfinite(v)) return 0.0f;
    return static_cast<float>(std::clamp(v, -1.0, 1.0));
  }
  switch (f.bytes_per_sample) {
    case 1:  // 8-bit WAV is unsigned with 128 as silence.
      return static_cast<float>(static_cast<int>(p[0]) - 128) / 128.0f;
    case 2:
      return static_cast<float>(static_cast<std::int16_t>(le16(p))) / 32768.0f;
    case 3: {
      const std::uint32_t u =
          std::uint32_t{p[0]} << 8 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 24;
      return static_cast<float>(static_cast<double>(static_cast<std::int32_t>(u)) / 2147483648.0);
    }
    default:
      return static_cast<float>(static_cast<double>(static_cast<std::int32_t>(le32(p))) /
                                2147483648.0);
  }
}

// Windowed-sinc resampler. Each output sample is a weighted sum of the input around its
// position, with a Kaiser-windowed sinc whose cutoff is kCutoff × the lower of the two Nyquist
// frequencies (so downsampling is also anti-aliased). 16 zero crossings each side and β = 8
// give roughly 80 dB of stop-band rejection: far below 16-bit noise, at 32 taps per output
// sample when upsampling (more when downsampling, in proportion to the ratio). Linear
// interpolation would be cheaper but leaves images a few tens of dB down, audible on a
// backing track that is played to every singer. The kernel is tabulated once.
constexpr int kZeroCrossings = 16;
constexpr int kTablePerCrossing = 512;
constexpr double kKaiserBeta = 8.0;
constexpr double kCutoff = 0.95;

double bessel_i0(double x) {
  double sum = 1.0;
  double term = 1.0;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

const std::vector<double>& sinc_table() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kZeroCrossings * kTablePerCrossing + 2, 0.0);
    const double i0_beta = bessel_i0(kKaiserBeta);
    for (int i = 0; i <= kZeroCrossings * kTablePerCrossing; ++i) {
      const double x = static_cast<double>(i) / kTablePerCrossing;
      const double r = x / kZeroCrossings;
      const double window =
          bessel_i0(kKaiserBeta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
      const double sinc = i == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
      t[static_cast<std::size_t>(i)] = sinc * window;
    }
    return t;
  }();
  return table;
}

/// The kernel at |x| zero crossings; 0 beyond kZeroCrossings.
double kernel(double x) {
  const auto& t = sinc_table();
  const double pos = std::abs(x) * kTablePerCrossing;
  const auto i = static_cast<std::size_t>(pos);
  if (i >= static_cast<std::size_t>(kZeroCrossings * kTablePerCrossing)) return 0.0;
  const double frac = pos - static_cast<double>(i);
  return t[i] + (t[i + 1] - t[i]) * frac;
}

/// Up to this many distinct output phases the filter weights are precomputed (a polyphase
/// bank: 160 phases for 44.1 kHz, 6 for 8 kHz); rarer rates compute them per sample.
constexpr std::int64_t kMaxPrecomputedPhases = 4'096;

/// Fills `w` with the normalised weights for input taps whole-half_width+1 … whole+half_width
/// of an output sample that falls `frac` (in [0, 1)) after input sample `whole`.
void phase_weights(double frac, double fc, std::span<float> w) {
  const auto half_width = static_cast<std::int64_t>(w.size() / 2);
  double sum = 0.0;
  for (std::size_t j = 0; j < w.size(); ++j) {
    const double offset = static_cast<double>(static_cast<std::int64_t>(j) - half_width + 1);
    const double v = kernel((frac - offset) * fc);
    w[j] = static_cast<float>(v);
    sum += v;
  }
  // Dividing by the kernel sum gives unity gain at DC whatever the phase.
  for (float& v : w) v = static_cast<float>(v / sum);
}

}  // namespace

std::vector<float> resample_to_48k(std::span<const float> in, std::uint32_t rate) {
  const auto in_len = static_cast<std::int64_t>(in.size());
  const std::int64_t out_rate = kSampleRate;
  const std::int64_t out_len = (in_len * out_rate + rate / 2) / rate;
  // Cutoff in cycles per input sample, relative to the input Nyquist.
  const double fc = kCutoff * std::min(1.0, static_cast<double>(out_rate) / rate);
  const auto half_width = static_cast<std::int64_t>(std::ceil(kZeroCrossings / fc));
  const auto taps = static_cast<std::size_t>(2 * half_width);
  // Output n sits at input position n·rate/48000 = whole + phase/phases, exactly.
  const std::int64_t g = std::gcd(std::int64_t{rate}, out_rate);
  const std::int64_t phases = out_rate / g;
  // A bank pays off only when it is reused: not for clips shorter than it.
  const bool precomputed = phases <= kMaxPrecomputedPhases && phases <= out_len;
  std::vector<float> bank(precomputed ? static_cast<std::size_t>(phases) * taps : taps);
  if (precomputed) {
    for (std::int64_t p = 0; p < phases; ++p) {
      phase_weights(static_cast<double>(p) / static_cast<double>(phases), fc,
                    std::span(bank).subspan(static_cast<std::size_t>(p) * taps, taps));
    }
  }
  std::vector<float> out(static_cast<std::size_t>(out_len));
  for (std::int64_t n = 0; n < out_len; ++n) {
    const std::int64_t num = n * rate;
    const std::int64_t whole = num / out_rate;
    const std::int64_t phase = (num % out_rate) / g;
    std::span<const float> w;
    if (precomputed) {
      w = std::span<const float>(bank).subspan(static_cast<std::size_t>(phase) * taps, taps);
    } else {
      phase_weights(static_cast<double>(phase) / static_cast<double>(phases), fc, bank);
      w = bank;
    }
    const std::int64_t first = whole - half_width + 1;
    // Taps outside the input read silence.
    const std::int64_t lo = std::max<std::int64_t>(0, -first);
    const std::int64_t hi = std::min<std::int64_t>(static_cast<std::int64_t>(taps), in_len - first);
    double acc = 0.0;
    for (std::int64_t j = lo; j < hi; ++j) {
      acc += double{w[static_cast<std::size_t>(j)]} * in[static_cast<std::size_t>(first + j)];
    }
    out[static_cast<std::size_t>(n)] = static_cast<float>(std::clamp(acc, -1.0, 1.0));
  }
  return out;
}

Result<std::vector<float>> read_wav(std::span<const std::uint8_t> bytes,
                                    std::uint32_t max_seconds) {
  if (bytes.size() < 12) return Error{"not a WAV file (too short)"};
  const std::uint8_t* base = bytes.data();
  if (!tag_is(base, "RIFF") || !tag_is(base + 8, "WAVE")) {
    return Error{"not a WAV file (no RIFF/WAVE header)"};
  }
  // A RIFF size beyond the file, or an impossible one below 4 (streamed files write 0 or
  // 0xFFFFFFFF), means "up to the end of the file"; a smaller valid one ends the walk, so bytes
  // after it (an unfinished writer's last block) are ignored.
  const std::uint64_t riff_size = le32(base + 4);
  const std::uint64_t riff_end =
      riff_size < 4 ? bytes.size() : std::min<std::uint64_t>(bytes.size(), 8 + riff_size);
  std::optional<std::span<const std::uint8_t>> fmt;
  std::optional<std::span<const std::uint8_t>> data;
  std::uint64_t pos = 12;
  while (pos + kChunkHeaderBytes <= riff_end) {
    const std::uint8_t* h = base + pos;
    const std::uint64_t size = le32(h + 4);
    const std::uint64_t body = pos + kChunkHeaderBytes;
    if (size > riff_end - body) {
      if (tag_is(h, "data")) return Error{"data chunk extends past the end of the file"};
      if (tag_is(h, "fmt ")) return Error{"fmt chunk extends past the end of the file"};
      // Garbage after both chunks (e.g. a half-written trailer) does not spoil the audio.
      if (fmt && data) break;
      return Error{"truncated chunk"};
    }
    const std::span<const std::uint8_t> chunk(base + body, static_cast<std::size_t>(size));
    if (tag_is(h, "fmt ") && !fmt) fmt = chunk;
    if (tag_is(h, "data") && !data) data = chunk;
    pos = body + size + (size & 1);  // Chunks are padded to even sizes.
  }
  if (!fmt) return Error{"no fmt chunk"};
  if (!data) return Error{"no data chunk"};
  auto format = parse_fmt(*fmt);
  if (!format) return Error{format.error()};
  const Format& f = format.value();

  const std::size_t frame_bytes = f.channels * f.bytes_per_sample;
  const std::size_t frames = data->size() / frame_bytes;  // A partial last frame is dropped.
  if (frames > std::uint64_t{std::min(max_seconds, kMaxWavSeconds)} * f.rate) {
    return Error{"audio longer than " + std::to_string(std::min(max_seconds, kMaxWavSeconds)) +
                 " s"};
  }

  std::vector<float> mono(frames);
  const std::uint8_t* p = data->data();
  for (std::size_t i = 0; i < frames; ++i) {
    if (f.channels == 1) {
      mono[i] = decode_sample(p, f);
      p += f.bytes_per_sample;
      continue;
    }
    double sum = 0.0;
    for (std::uint32_t c = 0; c < f.channels; ++c, p += f.bytes_per_sample) {
      sum += decode_sample(p, f);
    }
    mono[i] = static_cast<float>(sum / f.channels);
  }
  if (f.rate == static_cast<std::uint32_t>(kSampleRate)) return mono;
  return resample_to_48k(mono, f.rate);
}

Result<std::vector<float>> read_wav_file(const std::filesystem::path& path,
                                         std::uintmax_t max_bytes, std::uint32_t max_seconds) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Error{path.filename().string() + ": " + ec.message()};
  if (size > max_bytes) return Error{path.filename().string() + ": file too large"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path.filename().string() + ": cannot open"};
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) {
    return Error{path.filename().string() + ": read failed"};
  }
  auto samples = read_wav(bytes, max_seconds);
  if (!samples) return Error{path.filename().string() + ": " + samples.error()};
  return samples;
}

// ---------------------------------------------------------------------------------------------
// WavWriter

Result<WavWriter> WavWriter::create(const std::filesystem::path& path) {
  // "x": fail if the file exists (C11), so a name is never silently reused.
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wbx"));
  if (!file) return Error{path.filename().string() + ": " + std::strerror(errno)};
  WavWriter writer(std::move(file), path);
  if (auto r = writer.patch_header(); !r) return Error{r.error()};
  return writer;
}

WavWriter::WavWriter(std::unique_ptr<std::FILE, FileCloser> file, std::filesystem::path path)
    : file_(std::move(file)), path_(std::move(path)) {
  block_.reserve(kBlockSamples * 2);
}

WavWriter& WavWriter::operator=(WavWriter&& other) noexcept {
  if (this != &other) {
    (void)finish();
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
    block_ = std::move(other.block_);
    samples_ = other.samples_;
    samples_on_disk_ = other.samples_on_disk_;
    error_ = std::move(other.error_);
  }
  return *this;
}

WavWriter::~WavWriter() {
  (void)finish();
}

Result<void> WavWriter::fail(const char* what) {
  if (error_.empty()) {
    error_ = path_.filename().string() + ": " + what + ": " + std::strerror(errno);
    salvage();
  }
  return Error{error_};
}

void WavWriter::salvage() {
  if (!file_) return;
  // What stdio still buffers would be written (or fail again) at fclose: drop it.
  __fpurge(file_.get());
  const int fd = ::fileno(file_.get());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kWavHeaderBytes)) return;
  // Keep whole samples only (a partial write may end mid-sample), within the RIFF limit.
  const std::uint64_t data = std::min<std::uint64_t>(
      (static_cast<std::uint64_t>(st.st_size) - kWavHeaderBytes) & ~std::uint64_t{1},
      kMaxWavDataBytes);
  // Shrinking and rewriting the first bytes need no new space, so they work on a full disk.
  if (::ftruncate(fd, static_cast<off_t>(kWavHeaderBytes + data)) != 0) return;
  samples_on_disk_ = data / 2;
  const auto h = header(samples_on_disk_);
  if (::pwrite(fd, h.data(), h.size(), 0) == static_cast<ssize_t>(h.size())) (void)::fsync(fd);
}

Result<void> WavWriter::append(std::span<const float> samples) {
  if (!error_.empty()) return Error{error_};
  if (!file_) return Error{path_.filename().string() + ": append after finish"};
  if ((samples_ + samples.size()) * 2 > kMaxWavDataBytes) {
    return Error{path_.filename().string() + ": WAV size limit (4 GiB) reached"};
  }
  for (const float x : samples) {
    // Clip, never wrap: NaN becomes silence, beyond full scale sticks at the rail.
    const double scaled = std::isnan(x) ? 0.0 : std::clamp(double{x} * 32768.0, -32768.0, 32767.0);
    const auto v = static_cast<std::int16_t>(std::lrint(scaled));
    const auto u = static_cast<std::uint16_t>(v);
    block_.push_back(static_cast<std::uint8_t>(u & 0xFF));
    block_.push_back(static_cast<std::uint8_t>(u >> 8));
    ++samples_;
    if (block_.size() >= kBlockSamples * 2) {
      if (auto r = write_block(); !r) return r;
    }
  }
  return {};
}

Result<void> WavWriter::write_block() {
  if (block_.empty()) return {};
  if (std::fwrite(block_.data(), 1, block_.size(), file_.get()) != block_.size()) {
    return fail("write");
  }
  // The data must reach the file before the header announces it.
  if (std::fflush(file_.get()) != 0) return fail("flush");
  samples_on_disk_ += block_.size() / 2;
  block_.clear();
  return patch_header();
}

std::array<std::uint8_t, kWavHeaderBytes> WavWriter::header(std::uint64_t samples) {
  const auto data_bytes = static_cast<std::uint32_t>(samples * 2);
  std::array<std::uint8_t, kWavHeaderBytes> h{};
  std::memcpy(h.data(), "RIFF", 4);
  put32(h.data() + 4, 36 + data_bytes);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put32(h.data() + 16, 16);
  put16(h.data() + 20, kFormatPcm);
  put16(h.data() + 22, 1);
  put32(h.data() + 24, kSampleRate);
  put32(h.data() + 28, kSampleRate * 2);
  put16(h.data() + 32, 2);
  put16(h.data() + 34, 16);
  std::memcpy(h.data() + 36, "data", 4);
  put32(h.data() + 40, data_bytes);
  return h;
}

Result<void> WavWriter::patch_header() {
  const auto h = header(samples_on_disk_);
  if (std::fseek(file_.get(), 0, SEEK_SET) != 0) return fail("seek");
  if (std::fwrite(h.data(), 1, h.size(), file_.get()) != h.size()) return fail("write header");
  if (std::fflush(file_.get()) != 0) return fail("flush");
  if (std::fseek(file_.get(), 0, SEEK_END) != 0) return fail("seek");
  return {};
}

Result<void> WavWriter::finish() {
  if (!file_) {
    if (!error_.empty()) return Error{error_};
    return {};
  }
  Result<void> r = error_.empty() ? write_block() : Result<void>(Error{error_});
  if (r && ::fsync(::fileno(file_.get())) != 0) r = fail("fsync");
  if (std::fclose(file_.release()) != 0 && r) r = fail("close");
  return r;
}

}  // namespace brigade
