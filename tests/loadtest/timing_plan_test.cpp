// The load tester's timing plan and echo voice (bench/loadtest/timing.*), without a server:
// no two markers a listener measures together share a frequency bin, every singer's beats are
// the ones the listeners look at, and a stretch a singer already uploaded is never sung again
// (the server would mix it twice).
#include "timing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <vector>

#include "profile.hpp"  // kCodecDelay
#include "song_state.hpp"

namespace brigade::loadtest {
namespace {

/// Half the main lobe of the listeners' matched filter (a Hann window of one marker, 10 ms):
/// 2 / T = 200 Hz. Two markers closer than two half-lobes leak into each other's filter.
constexpr double kLobeHalfWidthHz = 2.0 * kSampleRate / static_cast<double>(kMarkerSamples);

TEST(TimingPlan, NoTwoMarkersOnABeatShareAFrequencyBin) {
  for (const int n : {1, 2, 3, 9, 12, 24, 25, 96, 97, 300, 301, 1000}) {
    SCOPED_TRACE(testing::Message() << n << " singers");
    const TimingPlan plan(n);
    std::vector<int> on;
    // Markers on different beats are 250 ms apart, far outside the ±5 ms search: only markers
    // on one beat meet in a listener's filter.
    for (int b = 0; b < plan.end_beat() + 2; ++b) {
      on.clear();
      plan.singers_on(b, on);
      for (std::size_t x = 0; x < on.size(); ++x) {
        const double fx = plan.frequency(on[x]);
        EXPECT_GT(fx, kLobeHalfWidthHz);
        EXPECT_LT(fx + kLobeHalfWidthHz, kSampleRate / 2.0);
        for (std::size_t y = x + 1; y < on.size(); ++y) {
          ASSERT_NE(on[x], on[y]) << "beat " << b;
          EXPECT_GE(std::abs(fx - plan.frequency(on[y])), 2 * kLobeHalfWidthHz)
              << "beat " << b << ": singers " << on[x] << " and " << on[y];
        }
      }
    }
  }
}

/// Where Opus's CELT bands start, in Hz, for a 20 ms frame (RFC 6716, section 4.3, Table 55).
constexpr std::array<double, 22> kCeltBandStartsHz = {
    0,     200,   400,   600,   800,   1'000, 1'200, 1'400, 1'600,  2'000,  2'400,
    2'800, 3'200, 4'000, 4'800, 5'600, 6'800, 8'000, 9'600, 12'000, 15'600, 20'000};

/// The band a frequency falls in.
std::size_t celt_band(double hz) {
  return static_cast<std::size_t>(
      std::upper_bound(kCeltBandStartsHz.begin(), kCeltBandStartsHz.end(), hz) -
      kCeltBandStartsHz.begin() - 1);
}

// CELT codes each band's energy and re-quantizes its shape: two bursts in one band trade level
// (3.5 and 4 kHz did, up to ±4 dB in the last bucket). Each follower's marker has a band of its
// own, main lobe and all; the leader's click (1 kHz, on every beat) has the two below 1.2 kHz.
TEST(TimingPlan, EachMarkerOfABeatHasAnOpusBandOfItsOwn) {
  const TimingPlan plan(kMarkerFrequencies + 1);
  std::set<std::size_t> bands;
  for (int j = 1; j <= kMarkerFrequencies; ++j) {
    const double f = plan.frequency(j);
    SCOPED_TRACE(testing::Message() << "singer " << j << ": " << f << " Hz");
    const std::size_t band = celt_band(f);
    EXPECT_EQ(celt_band(f - kLobeHalfWidthHz), band);
    EXPECT_EQ(celt_band(f + kLobeHalfWidthHz - 1.0), band);  // the lobe's end is its null
    EXPECT_TRUE(bands.insert(band).second) << "band " << band << " holds two markers";
    EXPECT_GE(f - kLobeHalfWidthHz, plan.frequency(0) + kLobeHalfWidthHz);  // above the click
  }
  EXPECT_EQ(bands.size(), static_cast<std::size_t>(kMarkerFrequencies));
}

TEST(TimingPlan, EachSingersBeatsAreTheBeatsItIsMeasuredOn) {
  for (const int n : {2, 9, 24, 300, 1000}) {
    SCOPED_TRACE(testing::Message() << n << " singers");
    const TimingPlan plan(n);
    std::set<std::pair<int, int>> planned, measured;
    for (int j = 0; j < n; ++j) {
      const auto beats = plan.beats(j);
      EXPECT_GE(beats.size(), 2u) << "singer " << j;
      for (int b : beats) {
        EXPECT_GE(b, kFirstMarkerBeat);
        EXPECT_LT(b, plan.end_beat());
        EXPECT_TRUE(planned.insert({j, b}).second) << "singer " << j << " twice on beat " << b;
      }
    }
    std::vector<int> on;
    for (int b = 0; b < plan.end_beat() + 2; ++b) {
      on.clear();
      plan.singers_on(b, on);
      for (int j : on) measured.insert({j, b});
    }
    EXPECT_EQ(planned, measured);
  }
}

class EchoVoiceSing : public ::testing::Test {
 protected:
  static constexpr Clock kN = 28'800;  // one 600 ms upload
  void SetUp() override { song_.start_clock = Clock{48'000} * 1'000; }
  /// The upload position of singer 1's first marker's first sample.
  Clock first_marker() const {
    return song_.start_clock + run_.plan().beats(1)[0] * kBeatSamples - kCodecDelay -
           kMarkerSamples / 2;
  }
  std::vector<float> sing(Clock begin, Clock fresh_from) const {
    std::vector<float> out(static_cast<std::size_t>(kN));
    voice_.sing(begin, 0.5f, out, fresh_from);
    return out;
  }
  static float peak(const std::vector<float>& v, std::size_t from, std::size_t to) {
    float p = 0;
    for (std::size_t i = from; i < to; ++i) p = std::max(p, std::abs(v[i]));
    return p;
  }

  SongState song_;
  TimingRun run_{24, song_};
  EchoVoice voice_{run_, 1, kN};
};

TEST_F(EchoVoiceSing, AStretchAlreadyUploadedIsSilentAndTheRestUnchanged) {
  const Clock begin = first_marker() - 1'000;
  // Something heard, so the echo is not silent either.
  const std::vector<float> heard(static_cast<std::size_t>(2 * kN), 0.1f);
  voice_.heard(begin - kN, heard);
  const auto fresh = sing(begin, 0);
  ASSERT_GT(peak(fresh, 0, 1'000), 0.04f);  // the echo: 0.5 × 0.1
  ASSERT_GT(peak(fresh, 1'000, 1'000 + kMarkerSamples), 0.05f + kMarkerAmplitude * 0.9f);

  // A reconnect restarted the clocks 60 ms into what was uploaded: those 60 ms stay silent,
  // the marker with them; the rest is what it would have been.
  const Clock resent = 2'880;
  const auto again = sing(begin, begin + resent);
  EXPECT_EQ(peak(again, 0, static_cast<std::size_t>(resent)), 0.0f);
  for (std::size_t i = static_cast<std::size_t>(resent); i < again.size(); ++i) {
    ASSERT_EQ(again[i], fresh[i]) << i;
  }
  // Half the marker already uploaded: only its second half is sung now.
  const Clock half = 1'000 + kMarkerSamples / 2;
  const auto split = sing(begin, begin + half);
  EXPECT_EQ(peak(split, 0, static_cast<std::size_t>(half)), 0.0f);
  for (std::size_t i = static_cast<std::size_t>(half); i < split.size(); ++i) {
    ASSERT_EQ(split[i], fresh[i]) << i;
  }
  // Nothing uploaded yet (or only earlier clocks): unchanged.
  EXPECT_EQ(sing(begin, begin), fresh);
  EXPECT_EQ(sing(begin, begin - kN), fresh);
  // All of it uploaded: silence.
  EXPECT_EQ(peak(sing(begin, begin + kN), 0, static_cast<std::size_t>(kN)), 0.0f);
}

TEST_F(EchoVoiceSing, AReconnectKeepsWhatWasHeardAndAGapStaysSilent) {
  const Clock x = song_.start_clock - Clock{48'000} * 10;  // before the song: no markers
  auto heard = [&](Clock at, Clock n, float level) {
    voice_.heard(at, std::vector<float>(static_cast<std::size_t>(n), level));
  };
  // What the singer would echo at clock x + i (sing reads two codec delays on).
  auto echoed = [&](Clock i) {
    std::vector<float> out(1);
    voice_.sing(x + i - 2 * kCodecDelay, 1.0f, out);
    return out[0];
  };
  const Clock frame = 2'880;
  heard(x, kN, 0.1f);
  // A re-anchor restarts the reads a frame earlier: those clocks keep the first hearing (the
  // fresh decoder's warm-up is not echoed), the clocks past it are added.
  heard(x + kN - frame, kN, 0.3f);
  EXPECT_EQ(echoed(0), 0.1f);
  EXPECT_EQ(echoed(kN - 1), 0.1f);
  EXPECT_EQ(echoed(kN), 0.3f);
  EXPECT_EQ(echoed(2 * kN - frame - 1), 0.3f);
  EXPECT_EQ(echoed(2 * kN - frame), 0.0f);  // not heard yet
  // A reconnect that lands later: the clocks in between were never heard.
  const Clock end = x + 2 * kN - frame;
  heard(end + 1'000, frame, 0.5f);
  EXPECT_EQ(echoed(kN), 0.3f);  // still within the history
  EXPECT_EQ(echoed(2 * kN - frame + 500), 0.0f);
  EXPECT_EQ(echoed(2 * kN - frame + 1'000), 0.5f);
  // Another bucket (3 s further back): its clocks start a new history.
  heard(x - Clock{48'000} * 3, frame, 0.7f);
  EXPECT_EQ(echoed(kN), 0.0f);
  EXPECT_EQ(echoed(-Clock{48'000} * 3), 0.7f);
}

}  // namespace
}  // namespace brigade::loadtest
