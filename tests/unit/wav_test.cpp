#include "brigade/storage/wav.hpp"

#include <gtest/gtest.h>

#include "client/tone.hpp"
#include "support/temp_dir.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace brigade {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("brigade-wav-test") {}
};

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
void put_tag(Bytes& b, const char* tag) {
  b.insert(b.end(), tag, tag + 4);
}

/// A RIFF/WAVE image with a plain (16-byte) or extensible (40-byte) fmt chunk.
Bytes make_wav(std::uint16_t format, std::uint16_t channels, std::uint32_t rate, std::uint16_t bits,
               const Bytes& data, bool extensible = false) {
  Bytes fmt;
  put16(fmt, extensible ? 0xFFFE : format);
  put16(fmt, channels);
  put32(fmt, rate);
  put32(fmt, rate * channels * bits / 8);
  put16(fmt, static_cast<std::uint16_t>(channels * bits / 8));
  put16(fmt, bits);
  if (extensible) {
    put16(fmt, 22);
    put16(fmt, bits);
    put32(fmt, 0);
    put16(fmt, format);
    const std::uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                   0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    fmt.insert(fmt.end(), tail, tail + 14);
  }
  Bytes b;
  put_tag(b, "RIFF");
  put32(b, static_cast<std::uint32_t>(4 + 8 + fmt.size() + 8 + data.size()));
  put_tag(b, "WAVE");
  put_tag(b, "fmt ");
  put32(b, static_cast<std::uint32_t>(fmt.size()));
  b.insert(b.end(), fmt.begin(), fmt.end());
  put_tag(b, "data");
  put32(b, static_cast<std::uint32_t>(data.size()));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes pcm16(const std::vector<std::int16_t>& s) {
  Bytes b;
  for (auto v : s) put16(b, static_cast<std::uint16_t>(v));
  return b;
}

std::vector<double> tone(double freq, std::uint32_t rate, std::size_t n, double amp) {
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) {
    t[i] = amp * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / rate);
  }
  return t;
}

using client::goertzel_power;

int zero_crossings(std::span<const float> x) {
  int n = 0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    if ((x[i - 1] < 0) != (x[i] < 0)) ++n;
  }
  return n;
}

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t le32_at(const Bytes& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t{b[at + 3]} << 24);
}

// --- Reading ------------------------------------------------------------------------------

TEST(ReadWav, NativeMono16Bit48kIsBitExact) {
  std::vector<std::int16_t> s = {0, 1, -1, 32767, -32768, 12345, -23456};
  auto r = read_wav(make_wav(1, 1, 48'000, 16, pcm16(s)));
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r.value().size(), s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(r.value()[i], static_cast<float>(s[i]) / 32768.0f) << i;
  }
}

TEST(ReadWav, EightBitIsUnsignedAroundMidpoint) {
  auto r = read_wav(make_wav(1, 1, 48'000, 8, Bytes{128, 255, 0, 192}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), (std::vector<float>{0.0f, 127.0f / 128, -1.0f, 0.5f}));
}

TEST(ReadWav, TwentyFourBit) {
  Bytes d = {0x00, 0x00, 0x40, /* 0x400000 = 0.5 */ 0x00, 0x00, 0x80, /* -1 */
             0xFF, 0xFF, 0xFF /* -1 LSB */};
  auto r = read_wav(make_wav(1, 1, 48'000, 24, d));
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[0], 0.5f);
  EXPECT_EQ(r.value()[1], -1.0f);
  EXPECT_FLOAT_EQ(r.value()[2], -1.0f / 8388608);
}

TEST(ReadWav, ThirtyTwoBitInt) {
  Bytes d;
  put32(d, 0x40000000u);  // 0.5
  put32(d, 0xC0000000u);  // -0.5
  auto r = read_wav(make_wav(1, 1, 48'000, 32, d));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), (std::vector<float>{0.5f, -0.5f}));
}

TEST(ReadWav, Float32ClampsAndSilencesNonFinite) {
  Bytes d;
  for (float f : {0.25f, -0.75f, 3.0f, std::nanf("")}) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    put32(d, u);
  }
  auto r = read_wav(make_wav(3, 1, 48'000, 32, d));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), (std::vector<float>{0.25f, -0.75f, 1.0f, 0.0f}));
}

TEST(ReadWav, ExtensibleFloatAndPcm) {
  Bytes d;
  const float f = -0.125f;
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  put32(d, u);
  auto r = read_wav(make_wav(3, 1, 48'000, 32, d, /*extensible=*/true));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), std::vector<float>{-0.125f});
  auto p = read_wav(make_wav(1, 1, 48'000, 16, pcm16({16384}), true));
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p.value(), std::vector<float>{0.5f});
}

TEST(ReadWav, StereoIsAveraged) {
  auto r = read_wav(make_wav(1, 2, 48'000, 16, pcm16({16384, 0, -16384, -16384, 8192, -8192})));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), (std::vector<float>{0.25f, -0.5f, 0.0f}));
}

TEST(ReadWav, SkipsUnknownAndOddSizedChunksAndFmtAfterData) {
  // LIST chunk of odd size 3 (+1 pad byte) before fmt; data before fmt.
  Bytes b;
  put_tag(b, "RIFF");
  put32(b, 0);
  put_tag(b, "WAVE");
  put_tag(b, "LIST");
  put32(b, 3);
  b.insert(b.end(), {'a', 'b', 'c', 0});
  put_tag(b, "data");
  put32(b, 4);
  const Bytes d = pcm16({100, -100});
  b.insert(b.end(), d.begin(), d.end());
  const Bytes w = make_wav(1, 1, 48'000, 16, {});
  b.insert(b.end(), w.begin() + 12, w.begin() + 36);  // the fmt chunk only
  const auto riff = static_cast<std::uint32_t>(b.size() - 8);
  std::memcpy(b.data() + 4, &riff, 4);
  auto r = read_wav(b);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), (std::vector<float>{100.0f / 32768, -100.0f / 32768}));
}

TEST(ReadWav, StreamedRiffSizeZeroOrMaxReadsToEndOfFile) {
  for (std::uint32_t riff : {0u, 0xFFFF'FFFFu}) {
    Bytes b = make_wav(1, 1, 48'000, 16, pcm16({1000, -1000}));
    std::memcpy(b.data() + 4, &riff, 4);
    auto r = read_wav(b);
    ASSERT_TRUE(r.ok()) << riff << ": " << r.error();
    EXPECT_EQ(r.value(), (std::vector<float>{1000.0f / 32768, -1000.0f / 32768}));
  }
}

TEST(ReadWav, Resamples44100ToneKeepingFrequencyAndScalingLength) {
  constexpr std::uint32_t kRate = 44'100;
  const auto t = tone(1'000.0, kRate, kRate, 0.5);  // 1 s
  std::vector<std::int16_t> s;
  for (double v : t) s.push_back(static_cast<std::int16_t>(std::lrint(v * 32767)));
  auto r = read_wav(make_wav(1, 1, kRate, 16, pcm16(s)));
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& out = r.value();
  EXPECT_NEAR(static_cast<double>(out.size()), 44'100.0 * 48'000 / 44'100, 1.0);
  // 1 kHz for 1 s: 2000 zero crossings; a wrong rate conversion would give 2177 or 1837.
  const std::span<const float> mid(out.data() + 1000, out.size() - 2000);
  EXPECT_NEAR(zero_crossings(out), 2000, 2);
  // Energy stays at 1 kHz (A²/4 = 0.0625), nothing at 1089 Hz (= 1 kHz × 48000/44100).
  EXPECT_NEAR(goertzel_power(mid, 1'000.0), 0.0625, 0.003);
  EXPECT_LT(goertzel_power(mid, 1'088.4), 1e-4);
}

TEST(ReadWav, DownsamplesAndRejectsAboveNyquist) {
  constexpr std::uint32_t kRate = 96'000;
  // 1 kHz survives; 30 kHz (above the 24 kHz output Nyquist) must not alias to 18 kHz.
  const auto a = tone(1'000.0, kRate, kRate / 2, 0.4);
  const auto b = tone(30'000.0, kRate, kRate / 2, 0.4);
  std::vector<std::int16_t> s;
  for (std::size_t i = 0; i < a.size(); ++i) {
    s.push_back(static_cast<std::int16_t>(std::lrint((a[i] + b[i]) * 32767)));
  }
  auto r = read_wav(make_wav(1, 1, kRate, 16, pcm16(s)));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().size(), 24'000u);
  const std::span<const float> mid(r.value().data() + 500, r.value().size() - 1000);
  EXPECT_NEAR(goertzel_power(mid, 1'000.0), 0.04, 0.002);
  EXPECT_LT(goertzel_power(mid, 18'000.0), 1e-6);
}

TEST(ReadWav, StereoFloat44100) {
  constexpr std::uint32_t kRate = 44'100;
  const auto t = tone(1'000.0, kRate, kRate / 2, 0.5);
  Bytes d;
  for (double v : t) {
    for (float f : {static_cast<float>(v), 0.0f}) {  // left = tone, right = silence
      std::uint32_t u;
      std::memcpy(&u, &f, 4);
      put32(d, u);
    }
  }
  auto r = read_wav(make_wav(3, 2, kRate, 32, d));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().size(), 24'000u);
  const std::span<const float> mid(r.value().data() + 500, r.value().size() - 1000);
  EXPECT_NEAR(goertzel_power(mid, 1'000.0), 0.25 * 0.25 / 4, 0.001);  // mono amplitude 0.25
}

// --- Malformed input ----------------------------------------------------------------------

TEST(ReadWavErrors, NotRiff) {
  Bytes b = make_wav(1, 1, 48'000, 16, pcm16({1, 2}));
  b[0] = 'X';
  EXPECT_FALSE(read_wav(b).ok());
  EXPECT_FALSE(read_wav(Bytes{}).ok());
  EXPECT_FALSE(read_wav(Bytes{'R', 'I', 'F', 'F'}).ok());
  const std::string text = "hello, this is not a wav file at all";
  EXPECT_FALSE(read_wav(Bytes(text.begin(), text.end())).ok());
}

TEST(ReadWavErrors, TruncatedChunks) {
  const Bytes good = make_wav(1, 1, 48'000, 16, pcm16({1, 2, 3, 4}));
  // Cut inside the fmt chunk, inside the data chunk header, inside the data.
  for (std::size_t cut : {20u, 30u, 38u, 42u, 46u}) {
    Bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = read_wav(b);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
  }
}

TEST(ReadWavErrors, DataSizeLargerThanFile) {
  Bytes b = make_wav(1, 1, 48'000, 16, pcm16({1, 2, 3, 4}));
  b[40] = 0xFF;
  b[41] = 0xFF;
  b[42] = 0xFF;
  b[43] = 0x7F;
  auto r = read_wav(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("data"), std::string::npos) << r.error();
}

TEST(ReadWavErrors, ZeroChannelsAbsurdRateBadFormat) {
  const Bytes d = pcm16({1, 2});
  EXPECT_FALSE(read_wav(make_wav(1, 0, 48'000, 16, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(1, 1, 4'000'000'000u, 16, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(1, 1, 0, 16, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(1, 1, 7'999, 16, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(0x55 /* MP3 */, 1, 48'000, 16, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(2 /* ADPCM */, 1, 48'000, 16, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(1, 1, 48'000, 12, d)).ok());
  EXPECT_FALSE(read_wav(make_wav(3, 1, 48'000, 16, d)).ok());  // 16-bit float
  Bytes ext = make_wav(1, 1, 48'000, 16, d, true);
  ext[12 + 8 + 26] ^= 0xFF;  // corrupt the subformat GUID
  EXPECT_FALSE(read_wav(ext).ok());
}

TEST(ReadWavErrors, MissingChunks) {
  Bytes b;
  put_tag(b, "RIFF");
  put32(b, 4);
  put_tag(b, "WAVE");
  EXPECT_FALSE(read_wav(b).ok());
  Bytes no_data = make_wav(1, 1, 48'000, 16, {});
  no_data.resize(36);
  EXPECT_FALSE(read_wav(no_data).ok());
}

TEST(ReadWavErrors, AbsurdLengthRejectedBeforeAllocating) {
  // 8 kHz 8-bit mono: 1 h = 28.8 MB; one sample more is refused.
  Bytes d(std::size_t{kMaxWavSeconds} * 8'000 + 1, 128);
  auto r = read_wav(make_wav(1, 1, 8'000, 8, d));
  EXPECT_FALSE(r.ok());
}

TEST(ReadWavFile, MissingAndTooLarge) {
  TempDir dir;
  EXPECT_FALSE(read_wav_file(dir.path() / "absent.wav").ok());
  const Bytes b = make_wav(1, 1, 48'000, 16, pcm16({1, 2, 3}));
  {
    std::ofstream out(dir.path() / "a.wav", std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  EXPECT_TRUE(read_wav_file(dir.path() / "a.wav").ok());
  EXPECT_FALSE(read_wav_file(dir.path() / "a.wav", b.size() - 1).ok());
}

// --- Writing ------------------------------------------------------------------------------

TEST(WavWriter, AWriteErrorLeavesAFileWhoseHeaderAgreesWithItsData) {
  TempDir dir;
  const fs::path p = dir.path() / "limited.wav";
  // An odd size limit, so the failing write stops mid-sample: the writer must cut it.
  constexpr rlim_t kFileSizeLimit = 100'001;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: the limit makes writes past it fail with EFBIG (SIGXFSZ ignored, as the server).
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{kFileSizeLimit, kFileSizeLimit};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(2);
    auto writer = WavWriter::create(p);
    if (!writer) _exit(3);
    const std::vector<float> block(WavWriter::kBlockSamples, 0.25f);
    int appends = 0;
    while (appends < 20 && writer.value().append(block)) ++appends;
    // It failed before 20 blocks (640 KiB), keeps failing, and finish() reports it too.
    const bool again = writer.value().append(block).ok();
    const bool finished = writer.value().finish().ok();
    _exit(appends < 20 && !again && !finished ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);

  const auto size = fs::file_size(p);
  EXPECT_LE(size, kFileSizeLimit);
  EXPECT_GT(size, kFileSizeLimit - 2 * WavWriter::kBlockSamples * 2);  // kept what was written
  EXPECT_EQ((size - kWavHeaderBytes) % 2, 0u);
  std::ifstream in(p, std::ios::binary);
  unsigned char h[kWavHeaderBytes];
  ASSERT_TRUE(in.read(reinterpret_cast<char*>(h), sizeof h));
  auto u32 = [&](std::size_t at) {
    return std::uint32_t{h[at]} | std::uint32_t{h[at + 1]} << 8 | std::uint32_t{h[at + 2]} << 16 |
           std::uint32_t{h[at + 3]} << 24;
  };
  EXPECT_EQ(u32(4) + 8, size);                 // RIFF size
  EXPECT_EQ(u32(40) + kWavHeaderBytes, size);  // data size
  const auto samples = read_wav_file(p);
  ASSERT_TRUE(samples) << samples.error();
  EXPECT_EQ(samples.value().size(), (size - kWavHeaderBytes) / 2);
  EXPECT_FLOAT_EQ(samples.value().back(), 0.25f);
}

TEST(WavWriter, RoundTripIsExactAndHeaderSizesExact) {
  TempDir dir;
  const fs::path p = dir.path() / "rt.wav";
  std::vector<float> in;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> dist(-32768, 32767);
  // Several blocks plus a partial one, in uneven appends.
  for (std::size_t i = 0; i < WavWriter::kBlockSamples * 3 + 777; ++i) {
    in.push_back(static_cast<float>(dist(rng)) / 32768.0f);
  }
  {
    auto w = WavWriter::create(p);
    ASSERT_TRUE(w.ok()) << w.error();
    for (std::size_t at = 0; at < in.size(); at += 5'000) {
      const std::size_t n = std::min<std::size_t>(5'000, in.size() - at);
      ASSERT_TRUE(w.value().append(std::span(in).subspan(at, n)).ok());
    }
    EXPECT_EQ(w.value().samples(), in.size());
    ASSERT_TRUE(w.value().finish().ok());
    EXPECT_TRUE(w.value().finished());
    EXPECT_FALSE(w.value().append(in).ok());  // closed
  }
  const Bytes b = read_bytes(p);
  ASSERT_EQ(b.size(), kWavHeaderBytes + in.size() * 2);
  EXPECT_EQ(le32_at(b, 4), b.size() - 8);
  EXPECT_EQ(le32_at(b, 40), in.size() * 2);
  EXPECT_EQ(le32_at(b, 24), 48'000u);
  auto r = read_wav(b);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), in);
}

TEST(WavWriter, ClipsInsteadOfWrapping) {
  TempDir dir;
  const fs::path p = dir.path() / "clip.wav";
  {
    auto w = WavWriter::create(p);
    ASSERT_TRUE(w.ok()) << w.error();
    const std::vector<float> s = {1.5f, -1.5f, 1.0f, -1.0f, 100.0f, std::nanf(""), 0.5f};
    ASSERT_TRUE(w.value().append(s).ok());
  }  // destructor finishes
  const Bytes b = read_bytes(p);
  ASSERT_EQ(b.size(), kWavHeaderBytes + 7 * 2);
  auto at = [&](std::size_t i) {
    return static_cast<std::int16_t>(b[kWavHeaderBytes + 2 * i] |
                                     (b[kWavHeaderBytes + 2 * i + 1] << 8));
  };
  EXPECT_EQ(at(0), 32767);
  EXPECT_EQ(at(1), -32768);
  EXPECT_EQ(at(2), 32767);
  EXPECT_EQ(at(3), -32768);
  EXPECT_EQ(at(4), 32767);
  EXPECT_EQ(at(5), 0);
  EXPECT_EQ(at(6), 16384);
  EXPECT_EQ(le32_at(b, 40), 14u);
}

TEST(WavWriter, RefusesToOverwrite) {
  TempDir dir;
  const fs::path p = dir.path() / "x.wav";
  { std::ofstream(p) << "precious"; }
  EXPECT_FALSE(WavWriter::create(p).ok());
  std::ifstream in(p);
  std::string s;
  in >> s;
  EXPECT_EQ(s, "precious");
}

TEST(WavWriter, UnfinishedFileIsReadable) {
  // While writing, the header describes the blocks already on disk, so a reader sees a valid
  // prefix even if the process dies before finish().
  TempDir dir;
  const fs::path p = dir.path() / "open.wav";
  auto w = WavWriter::create(p);
  ASSERT_TRUE(w.ok()) << w.error();
  std::vector<float> s(WavWriter::kBlockSamples * 2 + 100, 0.25f);
  ASSERT_TRUE(w.value().append(s).ok());
  const Bytes b = read_bytes(p);  // as if the process were killed here
  EXPECT_EQ(b.size(), kWavHeaderBytes + WavWriter::kBlockSamples * 2 * 2);
  auto r = read_wav(b);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().size(), WavWriter::kBlockSamples * 2);
  EXPECT_EQ(r.value().front(), 0.25f);
  // Unannounced trailing bytes after the data chunk (a half-written block) are tolerated.
  Bytes tail = b;
  tail.insert(tail.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_TRUE(read_wav(tail).ok());
  ASSERT_TRUE(w.value().finish().ok());
  EXPECT_EQ(read_bytes(p).size(), kWavHeaderBytes + s.size() * 2);
}

TEST(WavWriter, MoveTransfersOwnership) {
  TempDir dir;
  auto w = WavWriter::create(dir.path() / "m.wav");
  ASSERT_TRUE(w.ok());
  WavWriter moved = std::move(w).value();
  ASSERT_TRUE(moved.append(std::vector<float>(10, 0.5f)).ok());
  ASSERT_TRUE(moved.finish().ok());
  auto r = read_wav_file(dir.path() / "m.wav");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), std::vector<float>(10, 0.5f));
}

}  // namespace
}  // namespace brigade
