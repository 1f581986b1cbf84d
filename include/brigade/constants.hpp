// brigade: audio format and ring geometry shared by the engine, the server and the tools.
#pragma once

#include <cstdint>

namespace brigade {

/// Samples at kSampleRate since the Unix epoch. A clock names the END of an interval:
/// a block of n samples "at" t covers [t - n, t).
using Clock = std::int64_t;

/// Largest clock any input may carry: 2^53 samples (5.9 million years at 48 kHz). Exact in a
/// double and in a JavaScript number, and far enough from INT64_MAX that a clock plus or minus
/// a ring length, an exchange length or a rounds offset never overflows. Parsers refuse clocks
/// outside [0, kMaxClock] before any arithmetic.
inline constexpr Clock kMaxClock = Clock{1} << 53;

/// The only rate the API speaks (the browser client hard-wires it).
inline constexpr int kSampleRate = 48'000;
/// One Web Audio render quantum; the occupancy bitmap has one bit per frame.
inline constexpr int kFrameSamples = 128;
/// How much history the shared ring holds.
inline constexpr int kRingSeconds = 120;
/// Ring length in samples (5,760,000), a whole number of frames.
inline constexpr Clock kRingSamples =
    Clock{kRingSeconds} * kSampleRate / kFrameSamples * kFrameSamples;
/// Ring length in frames (45,000).
inline constexpr Clock kRingFrames = kRingSamples / kFrameSamples;
/// One Opus packet of the API: 60 ms at 48 kHz.
inline constexpr int kOpusFrameSamples = 2'880;

static_assert(kRingSamples == 5'760'000);
static_assert(kRingFrames == 45'000);

}  // namespace brigade
