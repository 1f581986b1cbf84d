// The mixer: clear ahead with the song's backing, mix with rounds, read a window
// (include/brigade/engine/mixer.hpp). One Mixer per test (~80 MB of rings).
#include "brigade/engine/mixer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace brigade {
namespace {

constexpr Clock kT0 = 80'000'000'000'000;
constexpr Clock kN = 2'880;  // 60 ms
constexpr Clock kSecond = kSampleRate;

struct Window {
  std::vector<float> audio = std::vector<float>(kN, -9.0f);
  std::vector<float> backing = std::vector<float>(kN, -9.0f);
  std::vector<WriterCount> writers = std::vector<WriterCount>(kN, WriterCount{-9});
  ExchangeBuffers buffers() { return {audio, backing, writers}; }
};

bool all_of(const std::vector<float>& v, float x) {
  return std::all_of(v.begin(), v.end(), [&](float y) { return y == x; });
}

class MixerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Mixer> mixer = std::make_unique<Mixer>();
  Song song;
};

TEST_F(MixerTest, ClearCountsWhatItZeroedAfterTheFirstCall) {
  EXPECT_TRUE(mixer->clear_to(kT0, song).empty()) << "the first call only sets the cursor";
  EXPECT_EQ(mixer->cleared_to(), std::optional<Clock>(kT0));
  const Interval cleared = mixer->clear_to(kT0 + kN, song);
  EXPECT_EQ(cleared, (Interval{kT0, kT0 + kN}));
  EXPECT_EQ(mixer->clears(), 1u);
  EXPECT_EQ(mixer->cleared_samples(), static_cast<std::uint64_t>(kN));
}

TEST_F(MixerTest, MixedAudioIsReadBackWithItsWriterCountAndClearedAhead) {
  mixer->clear_to(kT0, song);
  const std::vector<float> upload(kN, 0.25f);
  const Interval iv{kT0 - kN, kT0};
  mixer->mix(iv, upload, 2.0f, false, RoundsConfig{}, kT0);
  mixer->mix(iv, upload, 1.0f, false, RoundsConfig{}, kT0);
  Window w;
  mixer->read_mix(iv, w.buffers());
  EXPECT_TRUE(all_of(w.audio, 0.75f));
  EXPECT_TRUE(all_of(w.backing, 0.0f));
  EXPECT_TRUE(
      std::all_of(w.writers.begin(), w.writers.end(), [](WriterCount c) { return c == 2; }));
  // One ring later the same window is cleared before it is reused.
  mixer->clear_to(kT0 + kRingSamples - kN, song);
  mixer->clear_to(kT0 + kRingSamples, song);
  Window after;
  mixer->read_mix({kT0 + kRingSamples - kN, kT0 + kRingSamples}, after.buffers());
  EXPECT_TRUE(all_of(after.audio, 0.0f));
}

TEST_F(MixerTest, RoundsCopyAnUploadOneRoundLaterEachWhenThatIsAlreadyPast) {
  mixer->clear_to(kT0 - 60 * kSecond, song);
  const RoundsConfig rounds{.bpm = 60, .repeats = 2, .bpr = 4};  // a round is 4 s
  const std::vector<float> upload(kN, 0.5f);
  const Clock base = kT0 - 30 * kSecond;
  // Now lies between the first and the second copy: only the first is mixed.
  const Clock now = base + kN + 4 * kSecond + kSecond;
  mixer->mix({base, base + kN}, upload, 1.0f, false, rounds, now);
  Window first, second;
  mixer->read_mix({base + 4 * kSecond, base + 4 * kSecond + kN}, first.buffers());
  mixer->read_mix({base + 8 * kSecond, base + 8 * kSecond + kN}, second.buffers());
  EXPECT_TRUE(all_of(first.audio, 0.5f));
  EXPECT_TRUE(all_of(second.audio, 0.0f));
}

TEST_F(MixerTest, BackingIsWrittenOnlyForAStartedSongAndStopsAtItsEnd) {
  const auto track = std::make_shared<const std::vector<float>>(10 * kSecond, 0.5f);
  mixer->clear_to(kT0, song);
  mixer->fill_backing({kT0 - kN, kT0}, song);  // no song: nothing
  Window none;
  mixer->read_mix({kT0 - kN, kT0}, none.buffers());
  EXPECT_TRUE(all_of(none.backing, 0.0f));

  song.requested_samples = track;
  song.start(kT0 - 2 * kSecond, 1);
  song.timeline.end_at(kT0 - 2 * kSecond + kN / 2);
  mixer->fill_backing({kT0 - 2 * kSecond, kT0 - 2 * kSecond + kN}, song);
  Window w;
  mixer->read_mix({kT0 - 2 * kSecond, kT0 - 2 * kSecond + kN}, w.buffers());
  EXPECT_TRUE(std::all_of(w.backing.begin(), w.backing.begin() + kN / 2,
                          [](float x) { return x == 0.5f; }));
  EXPECT_TRUE(std::all_of(w.backing.begin() + kN / 2, w.backing.end(), [](float x) {
    return x == 0.0f;
  })) << "cut at the song's end";
}

TEST_F(MixerTest, ClearingAheadRefillsTheRunningSongsBacking) {
  const auto track = std::make_shared<const std::vector<float>>(10 * kSecond, 0.5f);
  mixer->clear_to(kT0, song);
  song.requested_samples = track;
  song.start(kT0, 1);
  mixer->clear_to(kT0 + kN, song);
  Window w;
  mixer->read_mix({kT0, kT0 + kN}, w.buffers());
  EXPECT_TRUE(all_of(w.backing, 0.5f));
}

}  // namespace
}  // namespace brigade
