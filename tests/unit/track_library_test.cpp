#include "brigade/storage/track_library.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "brigade/storage/wav.hpp"

namespace brigade {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("brigade-tracks-test") {}
};

void write_file(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

/// A native WAV file of `samples`, produced by WavWriter.
Bytes wav_bytes(const std::vector<float>& samples) {
  TempDir dir;
  const fs::path p = dir.path() / "t.wav";
  {
    auto w = WavWriter::create(p);
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE(w.value().append(samples).ok());
  }
  return read_file(p);
}

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

/// A stereo 16-bit 44.1 kHz WAV header for `frames` frames of silence.
Bytes stereo_44k(std::uint32_t frames) {
  Bytes b = {'R', 'I', 'F', 'F'};
  put32(b, 36 + frames * 4);
  b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put32(b, 16);
  put16(b, 1);
  put16(b, 2);
  put32(b, 44'100);
  put32(b, 44'100 * 4);
  put16(b, 4);
  put16(b, 16);
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  put32(b, frames * 4);
  b.resize(b.size() + frames * 4, 0);
  return b;
}

TEST(TrackLibrary, ListsWavFilesSortedWithoutExtensionIgnoringOthers) {
  TempDir dir;
  const Bytes w = wav_bytes({0.5f});
  write_file(dir.path() / "b song.wav", w);
  write_file(dir.path() / "A.WAV", w);
  write_file(dir.path() / "c.Wav", w);
  write_file(dir.path() / ".hidden.wav", w);
  write_file(dir.path() / "README", w);
  write_file(dir.path() / "notes.txt", w);
  write_file(dir.path() / ".wav", w);
  fs::create_directory(dir.path() / "folder.wav");
  TrackLibrary lib(dir.path());
  EXPECT_EQ(lib.list(), (std::vector<std::string>{"A", "b song", "c"}));
}

TEST(TrackLibrary, MissingDirectoryListsNothing) {
  TempDir dir;
  TrackLibrary lib(dir.path() / "absent");
  EXPECT_TRUE(lib.list().empty());
  EXPECT_FALSE(lib.load("x").ok());
}

TEST(TrackLibrary, LoadScalesByPointEight) {
  TempDir dir;
  write_file(dir.path() / "tone.wav", wav_bytes({0.5f, -0.25f, 0.0f}));
  TrackLibrary lib(dir.path());
  auto t = lib.load("tone");
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t.value()->size(), 3u);
  EXPECT_FLOAT_EQ((*t.value())[0], 0.4f);
  EXPECT_FLOAT_EQ((*t.value())[1], -0.2f);
  EXPECT_EQ((*t.value())[2], 0.0f);
}

TEST(TrackLibrary, LoadRejectsUnsafeAndUnlistedNames) {
  TempDir dir;
  fs::create_directories(dir.path() / "tracks");
  write_file(dir.path() / "secret.wav", wav_bytes({0.5f}));  // outside the library
  write_file(dir.path() / "tracks" / "ok.wav", wav_bytes({0.5f}));
  TrackLibrary lib(dir.path() / "tracks");
  EXPECT_TRUE(lib.load("ok").ok());
  for (const char* bad : {"", "../secret", "..", "a/b", "a\\b", ".hidden", "nope", "ok.wav"}) {
    EXPECT_FALSE(lib.load(bad).ok()) << bad;
  }
}

TEST(TrackLibrary, UnreadableTrackGivesClearError) {
  TempDir dir;
  write_file(dir.path() / "broken.wav", Bytes{'n', 'o', 'p', 'e'});
  TrackLibrary lib(dir.path());
  EXPECT_EQ(lib.list(), std::vector<std::string>{"broken"});
  auto t = lib.load("broken");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("broken"), std::string::npos) << t.error();
  EXPECT_NE(t.error().find("not a WAV"), std::string::npos) << t.error();
}

TEST(TrackLibrary, UploadGetsSafeNameListsImmediatelyAndLoads) {
  TempDir dir;
  TrackLibrary lib(dir.path() / "new");  // created by the upload
  const auto now = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + std::chrono::hours{19} +
                   std::chrono::minutes{30} + std::chrono::seconds{5};
  auto name = lib.add_upload(stereo_44k(44'100), now);
  ASSERT_TRUE(name.ok()) << name.error();
  EXPECT_TRUE(std::regex_match(name.value(), std::regex("upload-20240501-193005-[0-9a-f]{8}")))
      << name.value();
  EXPECT_EQ(lib.list(), std::vector<std::string>{name.value()});
  // Stored in the native form: 1 s at 44.1 kHz became 48000 samples of 16-bit mono.
  EXPECT_EQ(fs::file_size(dir.path() / "new" / (name.value() + ".wav")),
            kWavHeaderBytes + 48'000u * 2);
  auto t = lib.load(name.value());
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t.value()->size(), 48'000u);
  // No temporary files are left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir.path() / "new")) ++files;
  EXPECT_EQ(files, 1u);

  auto second = lib.add_upload(stereo_44k(100), now);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_NE(second.value(), name.value());
  EXPECT_EQ(lib.list().size(), 2u);
}

TEST(TrackLibrary, UploadsStopAtTheStorageLimits) {
  TempDir dir;
  // 1 s at 44.1 kHz is stored as 96,044 bytes: two fit in 200,000 bytes, a third does not.
  TrackLibrary by_bytes(dir.path() / "bytes",
                        TrackStorageLimits{.max_tracks = 10, .max_bytes = 200'000});
  EXPECT_TRUE(by_bytes.add_upload(stereo_44k(44'100)).ok());
  EXPECT_TRUE(by_bytes.add_upload(stereo_44k(44'100)).ok());
  EXPECT_FALSE(by_bytes.storage_full());
  auto third = by_bytes.add_upload(stereo_44k(44'100));
  ASSERT_FALSE(third.ok());
  EXPECT_TRUE(third.error().starts_with(kTrackStorageFull)) << third.error();
  EXPECT_EQ(by_bytes.list().size(), 2u);
  std::size_t files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir.path() / "bytes")) ++files;
  EXPECT_EQ(files, 2u);  // the refused conversion left nothing behind

  TrackLibrary by_count(dir.path() / "count",
                        TrackStorageLimits{.max_tracks = 1, .max_bytes = 1'000'000});
  EXPECT_TRUE(by_count.add_upload(stereo_44k(100)).ok());
  EXPECT_TRUE(by_count.storage_full());
  EXPECT_FALSE(by_count.add_upload(stereo_44k(100)).ok());
}

TEST(TrackLibrary, NamedSamplesReplaceTheTrackAndBumpTheGeneration) {
  TempDir dir;
  TrackLibrary lib(dir.path());
  const std::uint64_t g0 = lib.generation();
  auto first = lib.add_samples(std::vector<float>(4'800, 0.25f), "User Upload");
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first.value(), "User Upload");
  const std::uint64_t g1 = lib.generation();
  EXPECT_GT(g1, g0);
  auto second = lib.add_samples(std::vector<float>(9'600, -0.5f), "User Upload");
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_GT(lib.generation(), g1);
  EXPECT_EQ(lib.list(), std::vector<std::string>{"User Upload"});
  auto t = lib.load("User Upload");
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t.value()->size(), 9'600u);  // the second upload, not the first
  EXPECT_FLOAT_EQ(t.value()->front(), -0.5f * kBackingTrackGain);
  EXPECT_FALSE(lib.add_samples(std::vector<float>(10, 0.1f), "../escape").ok());
  EXPECT_FALSE(lib.add_samples({}, "empty").ok());
}

TEST(TrackLibrary, UploadRejectsNonWavTooLargeAndTooLong) {
  TempDir dir;
  TrackLibrary lib(dir.path());
  const std::string mp3 = "ID3\x03\x00\x00\x00\x00\x00\x21 this is an mp3";
  EXPECT_FALSE(lib.add_upload(Bytes(mp3.begin(), mp3.end())).ok());
  EXPECT_FALSE(lib.add_upload(Bytes{}).ok());
  // A valid header in front of too many bytes: refused on size before parsing.
  Bytes big = stereo_44k(0);
  big.resize(kMaxTrackUploadBytes + 1, 0);
  auto r = lib.add_upload(big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("MiB"), std::string::npos) << r.error();
  // Within the byte limit but over the duration limit: 8 kHz 8-bit mono, 10 min + 1 s.
  Bytes longer = {'R', 'I', 'F', 'F'};
  const std::uint32_t n = 8'000 * (kMaxTrackSeconds + 1);
  put32(longer, 36 + n);
  longer.insert(longer.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put32(longer, 16);
  put16(longer, 1);
  put16(longer, 1);
  put32(longer, 8'000);
  put32(longer, 8'000);
  put16(longer, 1);
  put16(longer, 8);
  longer.insert(longer.end(), {'d', 'a', 't', 'a'});
  put32(longer, n);
  longer.resize(longer.size() + n, 128);
  auto l = lib.add_upload(longer);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().find("600 s"), std::string::npos) << l.error();
  EXPECT_TRUE(lib.list().empty());
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(TrackLibrary, ConcurrentListLoadAndUpload) {
  TempDir dir;
  write_file(dir.path() / "base.wav", wav_bytes(std::vector<float>(4'800, 0.25f)));
  TrackLibrary lib(dir.path());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    while (!stop.load()) {
      const auto names = lib.list();
      if (names.empty() || !lib.load("base").ok()) ++failures;
      for (const auto& n : names) {
        if (!lib.load(n).ok()) ++failures;  // an upload is listed only once complete
      }
    }
  });
  const Bytes upload = stereo_44k(4'410);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(lib.add_upload(upload).ok());
  stop = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(lib.list().size(), 11u);
}

}  // namespace
}  // namespace brigade
