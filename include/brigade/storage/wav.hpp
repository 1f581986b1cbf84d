// brigade: WAV files for backing tracks and recordings. Reading accepts what real tools write
// (PCM 8/16/24/32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE, any channel count, 8–192 kHz)
// and returns mono 48 kHz float; writing produces the native form: mono 16-bit PCM at 48 kHz.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "brigade/constants.hpp"
#include "brigade/result.hpp"

namespace brigade {

/// Lowest and highest sample rates read_wav accepts (outside: an error).
inline constexpr std::uint32_t kMinWavSampleRateHz = 8'000;
inline constexpr std::uint32_t kMaxWavSampleRateHz = 192'000;
/// Most channels read_wav accepts (they are averaged to mono).
inline constexpr std::uint32_t kMaxWavChannels = 64;
/// Longest audio read_wav decodes (1 h, the recording cap): bounds the output allocation.
inline constexpr std::uint32_t kMaxWavSeconds = 3'600;
/// Default cap on the size of a file read_wav_file loads into memory.
inline constexpr std::uintmax_t kMaxWavFileBytes = std::uintmax_t{512} << 20;
/// Bytes of the canonical header WavWriter writes (RIFF + fmt(16) + data headers).
inline constexpr std::size_t kWavHeaderBytes = 44;
/// Largest data chunk a 32-bit RIFF size can describe, in whole 16-bit samples.
inline constexpr std::uint64_t kMaxWavDataBytes = (std::uint64_t{0xFFFF'FFFF} - 36) & ~1ull;

/// Decodes a whole WAV file image to mono 48 kHz samples in [-1, 1]. Never throws for bad
/// input: malformed, truncated, unsupported or absurd files give an Error naming the problem.
/// Channels are averaged; other rates are resampled with a windowed-sinc interpolator. Mono
/// 16-bit 48 kHz input passes through bit-exactly as sample / 32768. Audio longer than
/// max_seconds (capped at kMaxWavSeconds) is refused before anything is decoded.
Result<std::vector<float>> read_wav(std::span<const std::uint8_t> bytes,
                                    std::uint32_t max_seconds = kMaxWavSeconds);

/// Resamples mono audio at `rate` Hz to 48 kHz with the windowed-sinc interpolator read_wav
/// uses (output clipped to [-1, 1]).
std::vector<float> resample_to_48k(std::span<const float> in, std::uint32_t rate);

/// Reads a file (at most max_bytes long) and decodes it with read_wav.
Result<std::vector<float>> read_wav_file(const std::filesystem::path& path,
                                         std::uintmax_t max_bytes = kMaxWavFileBytes,
                                         std::uint32_t max_seconds = kMaxWavSeconds);

/// Streams mono 16-bit 48 kHz PCM to a new file. Samples are converted as round(x · 32768)
/// clipped to [-32768, 32767] and written in blocks of kBlockSamples. After each block the
/// header is patched to describe exactly the samples already on disk (data first, header
/// second), so a file whose process dies mid-way is a valid, shorter WAV followed by at most
/// one block of unannounced bytes. finish() (or the destructor) writes the rest and leaves
/// exact sizes. On a write error the file is cut to what reached the disk and its header
/// fixed to match; every later call reports that first error. Not thread-safe; movable.
class WavWriter {
 public:
  /// Samples buffered before a write to disk (0.34 s, 32 KiB).
  static constexpr std::size_t kBlockSamples = 16'384;

  /// Creates `path`, which must not exist yet (never overwrites), and writes the header.
  static Result<WavWriter> create(const std::filesystem::path& path);

  WavWriter(WavWriter&&) noexcept = default;
  WavWriter& operator=(WavWriter&& other) noexcept;
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;
  /// Finishes the file if finish() was not called (errors are dropped here).
  ~WavWriter();

  /// Converts and buffers samples, writing full blocks. Fails after finish(), on an I/O
  /// error, or when the file would exceed the 4 GiB RIFF limit.
  Result<void> append(std::span<const float> samples);
  /// Writes buffered samples, patches the RIFF and data sizes, flushes to stable storage
  /// (fsync) and closes the file. Calling it again is a no-op that repeats the outcome.
  Result<void> finish();

  /// Samples accepted so far (buffered or written).
  std::uint64_t samples() const { return samples_; }
  /// True once finish() has run.
  bool finished() const { return file_ == nullptr; }
  /// Where the file is.
  const std::filesystem::path& path() const { return path_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  WavWriter(std::unique_ptr<std::FILE, FileCloser> file, std::filesystem::path path);
  Result<void> write_block();
  Result<void> patch_header();
  /// Records the first I/O error and salvages the file (see salvage()).
  Result<void> fail(const char* what);
  /// After a write error (full disk, file size limit): drops unwritten data, cuts the file to
  /// the whole samples really on disk and rewrites the header to describe exactly those, so
  /// the file stays a valid WAV that agrees with its length.
  void salvage();
  /// The canonical header for `samples` 16-bit mono samples.
  static std::array<std::uint8_t, kWavHeaderBytes> header(std::uint64_t samples);

  /// The open file; null after finish().
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::filesystem::path path_;
  /// Little-endian int16 bytes not yet written.
  std::vector<std::uint8_t> block_;
  /// Samples accepted, and samples actually written to the file.
  std::uint64_t samples_ = 0;
  std::uint64_t samples_on_disk_ = 0;
  /// The first I/O error; once set, every later call reports it.
  std::string error_;
};

}  // namespace brigade
