#include "brigade/storage/recording_store.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "brigade/storage/wav.hpp"

namespace brigade {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("brigade-rec-test") {}
};

/// 2024-05-01 19:30:00 UTC plus `s` seconds.
std::chrono::system_clock::time_point at(int s) {
  return std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + std::chrono::hours{19} +
         std::chrono::minutes{30} + seconds{s};
}

std::vector<std::string> names(const std::vector<RecordingEntry>& entries) {
  std::vector<std::string> n;
  for (const auto& e : entries) n.push_back(e.name);
  return n;
}

TEST(RecordingStore, CreatesDirectoryAndNamesFromUtc) {
  TempDir dir;
  RecordingStore store(dir.path() / "rec");
  EXPECT_TRUE(fs::is_directory(dir.path() / "rec"));
  auto name = store.start(at(5));
  ASSERT_TRUE(name.ok()) << name.error();
  EXPECT_EQ(name.value(), "2024-05-01-193005.wav");
  EXPECT_EQ(store.current(), name.value());
}

TEST(RecordingStore, WritesAValidFileWithExactSizes) {
  TempDir dir;
  RecordingStore store(dir.path());
  ASSERT_TRUE(store.start(at(0)).ok());
  std::vector<float> block(10'000, 0.5f);
  block[0] = 2.0f;  // clipped, not wrapped
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store.append(block).ok());
  EXPECT_EQ(store.current_samples(), 50'000u);
  ASSERT_TRUE(store.finish().ok());
  EXPECT_FALSE(store.current().has_value());
  EXPECT_FALSE(store.append(block).ok());  // nothing open
  const auto entries = store.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0], (RecordingEntry{"2024-05-01-193000.wav", kWavHeaderBytes + 100'000u, true,
                                        50'000.0 / kSampleRate, RecordingInfo{}}));
  auto r = read_wav_file(dir.path() / entries[0].name);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r.value().size(), 50'000u);
  EXPECT_EQ(r.value()[0], 32767.0f / 32768);
  EXPECT_EQ(r.value()[1], 0.5f);
}

TEST(RecordingStore, SameSecondGetsSuffixesInOrder) {
  TempDir dir;
  RecordingStore store(dir.path());
  std::vector<std::string> started;
  for (int i = 0; i < 11; ++i) {
    auto n = store.start(at(0));  // also finishes the previous one
    ASSERT_TRUE(n.ok()) << n.error();
    started.push_back(n.value());
  }
  EXPECT_EQ(started[0], "2024-05-01-193000.wav");
  EXPECT_EQ(started[1], "2024-05-01-193000-2.wav");
  EXPECT_EQ(started[10], "2024-05-01-193000-11.wav");
  ASSERT_TRUE(store.finish().ok());
  // Newest first, "-11" after "-2" despite string order.
  const auto listed = names(store.list());
  EXPECT_EQ(listed, std::vector<std::string>(started.rbegin(), started.rend()));
}

TEST(RecordingStore, ListMarksOpenRecordingUnfinished) {
  TempDir dir;
  RecordingStore store(dir.path());
  ASSERT_TRUE(store.start(at(0)).ok());
  ASSERT_TRUE(store.start(at(1)).ok());
  ASSERT_TRUE(store.append(std::vector<float>(100, 0.1f)).ok());
  const auto entries = store.list();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "2024-05-01-193001.wav");
  EXPECT_FALSE(entries[0].finished);
  EXPECT_TRUE(entries[1].finished);
}

TEST(RecordingStore, RetentionKeepsNewestNWavFilesOnly) {
  TempDir dir;
  fs::create_directories(dir.path());
  { std::ofstream(dir.path() / "index.html") << "listing"; }
  { std::ofstream(dir.path() / ".keep"); }
  // An old recording from a previous run, older than everything below.
  { std::ofstream(dir.path() / "2020-01-01-000000.wav") << "old"; }
  RecordingStore store(dir.path(), 3);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store.start(at(i * 60)).ok());
    ASSERT_TRUE(store.append(std::vector<float>(10, 0.0f)).ok());
    ASSERT_TRUE(store.finish().ok());
  }
  EXPECT_EQ(names(store.list()),
            (std::vector<std::string>{"2024-05-01-193400.wav", "2024-05-01-193300.wav",
                                      "2024-05-01-193200.wav"}));
  EXPECT_TRUE(fs::exists(dir.path() / "index.html"));
  EXPECT_TRUE(fs::exists(dir.path() / ".keep"));
  EXPECT_FALSE(fs::exists(dir.path() / "2020-01-01-000000.wav"));
}

TEST(RecordingStore, RetentionOnStartNeverDeletesTheOpenFile) {
  TempDir dir;
  RecordingStore store(dir.path(), 1);
  ASSERT_TRUE(store.start(at(0)).ok());
  ASSERT_TRUE(store.start(at(1)).ok());
  EXPECT_EQ(names(store.list()), std::vector<std::string>{"2024-05-01-193001.wav"});
  EXPECT_EQ(store.current(), "2024-05-01-193001.wav");
  ASSERT_TRUE(store.append(std::vector<float>(10, 0.0f)).ok());
}

TEST(RecordingStore, ASongsStemsAreListedWithItAndDeletedWithIt) {
  TempDir dir;
  RecordingStore store(dir.path(), 2);
  std::vector<std::string> songs;
  for (int i = 0; i < 3; ++i) {
    auto name = store.start(at(i * 60));
    ASSERT_TRUE(name.ok());
    songs.push_back(name.value());
    const fs::path stems = store.stems_dir(name.value());
    EXPECT_EQ(stems, dir.path() / (song_name(name.value()) + ".stems"));
    fs::create_directories(stems);
    { std::ofstream(stems / "Bo-2.opus") << "bbbb"; }
    { std::ofstream(stems / "Ada-1.opus") << "aa"; }
    { std::ofstream(stems / "notes.txt") << "not a stem"; }
    ASSERT_TRUE(store.append(std::vector<float>(10, 0.0f)).ok());
    ASSERT_TRUE(store.finish().ok());
  }
  const auto list = store.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].stems, (std::vector<StemEntry>{{"Ada-1.opus", 2}, {"Bo-2.opus", 4}}));
  EXPECT_EQ(list[0].total_bytes(), list[0].bytes + 6);
  // The oldest song went as a whole: its WAV and its stems directory.
  EXPECT_FALSE(fs::exists(dir.path() / songs[0]));
  EXPECT_FALSE(fs::exists(store.stems_dir(songs[0])));
  EXPECT_TRUE(fs::exists(store.stems_dir(songs[1]) / "Ada-1.opus"));
}

TEST(RecordingStore, ALeftOverStemsDirectoryIsNotReused) {
  TempDir dir;
  fs::create_directories(dir.path() / "2024-05-01-193000.stems");
  RecordingStore store(dir.path());
  auto name = store.start(at(0));
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name.value(), "2024-05-01-193000-2.wav");
}

TEST(RecordingStore, DestructorFinishesTheFile) {
  TempDir dir;
  {
    RecordingStore store(dir.path());
    ASSERT_TRUE(store.start(at(0)).ok());
    ASSERT_TRUE(store.append(std::vector<float>(WavWriter::kBlockSamples + 5, 0.25f)).ok());
  }
  const fs::path p = dir.path() / "2024-05-01-193000.wav";
  EXPECT_EQ(fs::file_size(p), kWavHeaderBytes + (WavWriter::kBlockSamples + 5) * 2);
  auto r = read_wav_file(p);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().size(), WavWriter::kBlockSamples + 5);
  RecordingStore reopened(dir.path());
  ASSERT_EQ(reopened.list().size(), 1u);
  EXPECT_TRUE(reopened.list()[0].finished);
}

TEST(RecordingStore, InfoIsListedWithTheRecording) {
  TempDir dir;
  RecordingStore store(dir.path());
  ASSERT_TRUE(store.start(at(0), RecordingInfo{"Ann\nB", 1234}).ok());
  ASSERT_TRUE(store.append(std::vector<float>(kSampleRate / 2, 0.1f)).ok());
  ASSERT_TRUE(store.finish().ok());
  const auto entries = store.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].info, (RecordingInfo{"Ann B", 1234}));
  EXPECT_DOUBLE_EQ(entries[0].duration_seconds, 0.5);
}

TEST(RecordingStore, ByteCapDeletesOldestWithCompanionsAndStopsAnOversizeRecording) {
  TempDir dir;
  constexpr std::size_t kSamples = 10'000;  // 20,044 bytes per recording
  RecordingStore store(dir.path(), 100, 50'000);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(store.start(at(i)).ok());
    ASSERT_TRUE(store.append(std::vector<float>(kSamples, 0.1f)).ok());
    ASSERT_TRUE(store.finish().ok());
  }
  fs::create_directories(dir.path() / "2024-05-01-193000.stems");
  std::ofstream(dir.path() / "2024-05-01-193000.stems" / "a.opus") << "x";
  ASSERT_TRUE(store.start(at(2)).ok());
  // Growing the third past the cap deletes the oldest, its .info and its stems folder.
  ASSERT_TRUE(store.append(std::vector<float>(kSamples, 0.1f)).ok());
  EXPECT_FALSE(fs::exists(dir.path() / "2024-05-01-193000.wav"));
  EXPECT_FALSE(fs::exists(dir.path() / "2024-05-01-193000.info"));
  EXPECT_FALSE(fs::exists(dir.path() / "2024-05-01-193000.stems"));
  EXPECT_TRUE(fs::exists(dir.path() / "2024-05-01-193001.wav"));
  // Alone over the cap even with every older recording gone: it stops growing, once reported.
  EXPECT_FALSE(store.append(std::vector<float>(3 * kSamples, 0.1f)).ok());
  EXPECT_TRUE(store.append(std::vector<float>(kSamples, 0.1f)).ok());
  EXPECT_EQ(store.current_samples(), kSamples);
  ASSERT_TRUE(store.finish().ok());
  std::uintmax_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file()) total += e.file_size();
  }
  EXPECT_LE(total, 50'000u);
}

TEST(RecordingStore, UncreatableDirectoryThrows) {
  TempDir dir;
  fs::create_directories(dir.path());
  { std::ofstream(dir.path() / "file") << "x"; }
  EXPECT_THROW(RecordingStore(dir.path() / "file" / "sub"), std::runtime_error);
}

}  // namespace
}  // namespace brigade
