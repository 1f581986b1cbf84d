#include "brigade/storage/tar_archive.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/ogg_opus_file.hpp"
#include "support/temp_dir.hpp"

namespace brigade {
namespace {

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The whole archive, read in pieces of `chunk` bytes.
std::string read_all(TarStream& s, std::size_t chunk) {
  std::string out;
  std::vector<std::uint8_t> buf(chunk);
  while (const std::size_t n = s.read(buf))
    out.append(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

TEST(TarArchive, GnuTarListsAndExtractsWhatWeStream) {
  testing::TempDir dir{"brigade-tar"};
  write_file(dir.path() / "a.opus", std::string(1000, 'a'));
  write_file(dir.path() / "b.opus", "");
  write_file(dir.path() / "c.opus", std::string(512, 'c'));
  std::vector<TarMember> members = {{"song/a.opus", dir.path() / "a.opus", 1000, 1'700'000'000},
                                    {"song/b.opus", dir.path() / "b.opus", 0, 1'700'000'000},
                                    {"song/c.opus", dir.path() / "c.opus", 512, 1'700'000'000}};
  EXPECT_EQ(tar_archive_bytes(members), 512u + 1024 + 512 + 512 + 512 + 1024);
  for (std::size_t chunk : {1u, 7u, 512u, 65536u}) {
    auto stream = TarStream::open(members);
    ASSERT_TRUE(stream) << stream.error();
    const std::string tar = read_all(stream.value(), chunk);
    EXPECT_EQ(tar.size(), tar_archive_bytes(members)) << "chunk " << chunk;
    EXPECT_EQ(stream.value().remaining(), 0u);
    write_file(dir.path() / "x.tar", tar);
    std::string out;
    ASSERT_EQ(client::run_command("tar -tvf '" + (dir.path() / "x.tar").string() + "'", out), 0)
        << out;
    EXPECT_NE(out.find("1000 2023-11-14"), std::string::npos) << out;
    for (const char* name : {"song/a.opus", "song/b.opus", "song/c.opus"}) {
      EXPECT_NE(out.find(name), std::string::npos) << out;
    }
  }
  std::string out;
  const auto x = dir.path() / "x";
  std::filesystem::create_directories(x);
  ASSERT_EQ(client::run_command(
                "tar -xf '" + (dir.path() / "x.tar").string() + "' -C '" + x.string() + "'", out),
            0)
      << out;
  EXPECT_EQ(read_file(x / "song/a.opus"), std::string(1000, 'a'));
  EXPECT_EQ(read_file(x / "song/b.opus"), "");
  EXPECT_EQ(read_file(x / "song/c.opus"), std::string(512, 'c'));
}

TEST(TarArchive, FilesThatChangedKeepTheAnnouncedSize) {
  testing::TempDir dir{"brigade-tar"};
  write_file(dir.path() / "grown.opus", std::string(3000, 'g'));  // listed at 100 bytes
  write_file(dir.path() / "short.opus", std::string(10, 's'));    // listed at 700 bytes
  std::vector<TarMember> members = {{"s/grown.opus", dir.path() / "grown.opus", 100, 0},
                                    {"s/short.opus", dir.path() / "short.opus", 700, 0},
                                    {"s/gone.opus", dir.path() / "gone.opus", 50, 0}};
  auto stream = TarStream::open(members);
  ASSERT_TRUE(stream);
  const std::string tar = read_all(stream.value(), 333);
  EXPECT_EQ(tar.size(), tar_archive_bytes(members));
  write_file(dir.path() / "x.tar", tar);
  const auto x = dir.path() / "x";
  std::filesystem::create_directories(x);
  std::string out;
  ASSERT_EQ(client::run_command(
                "tar -xf '" + (dir.path() / "x.tar").string() + "' -C '" + x.string() + "'", out),
            0)
      << out;
  EXPECT_EQ(read_file(x / "s/grown.opus"), std::string(100, 'g'));
  EXPECT_EQ(read_file(x / "s/short.opus"), std::string(10, 's') + std::string(690, '\0'));
  EXPECT_EQ(read_file(x / "s/gone.opus"), std::string(50, '\0'));
}

TEST(TarArchive, RefusesNamesAndSizesUstarCannotHold) {
  EXPECT_FALSE(tar_header("", 1, 0));
  EXPECT_FALSE(tar_header(std::string(101, 'n'), 1, 0));
  EXPECT_TRUE(tar_header(std::string(100, 'n'), 1, 0));
  EXPECT_FALSE(tar_header("big", kMaxTarMemberBytes + 1, 0));
  EXPECT_FALSE(TarStream::open({{std::string(101, 'n'), "x", 1, 0}}));
  // The checksum is the byte sum with the checksum field read as spaces.
  const auto h = tar_header("a", 5, 0).value();
  unsigned sum = 0;
  for (std::size_t i = 0; i < h.size(); ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  EXPECT_EQ(std::stoul(std::string(h.begin() + 148, h.begin() + 154), nullptr, 8), sum);
}

}  // namespace
}  // namespace brigade
