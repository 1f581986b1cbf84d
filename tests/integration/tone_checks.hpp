// brigade integration tests: checks on the audio a follower heard.
#pragma once

#include <gtest/gtest.h>

#include <span>

#include "brigade/constants.hpp"
#include "client/tone.hpp"

namespace brigade::integration {

/// A tone at `hz` that a song starts: in every Opus packet's span (60 ms) of `heard` (which begins
/// at clock `begin`), silent (< 1e-3 of `expected` power) before `song_start`, and within ×0.25–×4
/// of `expected` from one frame after it. Asserts at least 10 silent and 45 toned frames.
inline void expect_tone_from_song_start(std::span<const float> heard, Clock begin, Clock song_start,
                                        double hz, double expected) {
  constexpr Clock kFrame = kOpusFrameSamples;
  ASSERT_LE(begin, song_start - 10 * kFrame);
  int silent = 0, toned = 0;
  const Clock end = begin + static_cast<Clock>(heard.size());
  for (Clock at = begin; at + kFrame <= end; at += kFrame) {
    const double p = client::goertzel_power(
        heard.subspan(static_cast<std::size_t>(at - begin), static_cast<std::size_t>(kFrame)), hz);
    if (at + kFrame <= song_start) {
      EXPECT_LT(p, expected * 1e-3) << "tone before the song at " << at - song_start;
      ++silent;
    } else if (at >= song_start + kFrame) {
      EXPECT_GT(p, expected * 0.25) << "no tone at " << at - song_start;
      EXPECT_LT(p, expected * 4) << "tone too loud at " << at - song_start;
      ++toned;
    }
  }
  EXPECT_GE(silent, 10);
  EXPECT_GE(toned, 45);
}

}  // namespace brigade::integration
