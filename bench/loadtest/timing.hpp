// brigade-loadtest --verify timing: echo singers and the millisecond check.
//
// Every simulated singer is a perfect singer. It sings back what it hears, placed as the page
// places a microphone sample (web/session.js): heard at decoded position x, written at
// x - 2·kCodecDelaySamples, so after the upload's codec pass it lands on the very ring clock it
// was heard at. On top of that it sings a marker of its own, a 10 ms Hann burst at its own
// frequency, centred on a few beats of the song's grid; the leader (singer 0) sings a click
// (its marker) on every beat. A listener therefore hears every earlier singer's markers, and
// every earlier bucket's echoes of them, centred on song_start + beat + kCodecDelaySamples in
// its decoded replies (one codec pass: the server's encoder and its own decoder).
//
// Each listener measures, at every marker of every singer, the burst's position (a Hann
// matched filter at its frequency and a parabolic peak) and amplitude. The analysis checks
// the position to ±1 ms, the amplitude against the volume formula (leader boost, auto-gain
// sqrt(3 / (writers + 2)), global volume, echoes of earlier buckets added in phase), and that no
// marker of the listener's own or a later bucket is heard.
//
// Echo gain: each singer sings what it hears at 1/k of the level, k = singers in its bucket, so
// a bucket's chorus of echoes returns exactly the level the bucket heard (at gain 1, k singers
// would multiply it by k·g_auto·1.2 per bucket and 300 singers would clip by the third bucket).
//
// Threading: everything here runs on the load tester's one io thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "brigade/constants.hpp"

namespace brigade::loadtest {

struct SongState;

/// The beat grid: 250 ms (240 bpm).
inline constexpr Clock kBeatSamples = kSampleRate / 4;
/// A marker: 10 ms Hann burst (long enough for the codec to keep it tonal, short enough to
/// leave the beat's other markers and their echoes out of each other's way).
inline constexpr Clock kMarkerSamples = kSampleRate / 100;
/// Marker amplitude as sung (the leader's is boosted ×2 by the server).
inline constexpr float kMarkerAmplitude = 0.02f;
/// The leader's click frequency; the others use kMarkerFrequencies distinct tones.
inline constexpr double kClickHz = 1'000.0;
inline constexpr int kMarkerFrequencies = 8;
/// Each in the middle of an Opus (CELT) band of its own: the bands of a 20 ms frame end at 1.6,
/// 2.0, 2.4, 2.8, 3.2, 4.0, 4.8, 5.6 and 6.8 kHz, and a 10 ms burst's main lobe is ±200 Hz
/// wide, so no band holds two of a beat's markers. CELT keeps each band's energy and
/// re-quantizes its shape: two tones in one band (as with 3.5 and 4 kHz, which the tester used
/// before) traded level between them, up to ±4 dB in the last bucket of 24 singers.
/// Neighbours are a multiple of 100 Hz apart: on the nulls of each other's matched filter.
inline constexpr std::array<double, kMarkerFrequencies> kMarkerHz = {
    1'800.0, 2'200.0, 2'600.0, 3'000.0, 3'600.0, 4'400.0, 5'200.0, 6'200.0};
/// Markers start at this song beat (1 s in: every bucket writes continuously by then).
inline constexpr int kFirstMarkerBeat = 4;
/// Each listener searches ±5 ms around the expected centre.
inline constexpr Clock kSearchSamples = kSampleRate / 200;
/// Pass criteria. A level has two: each marker, and each bucket's mean. Opus moves a single
/// 10 ms burst by up to ±3.2 dB after a few passes (measured: the largest error of a 24-singer
/// run was 0.7–3.2 dB in 26 runs on 2026-11-30, identical for every listener of the bucket, so
/// it is in the shared reply, not in the ring), while every fault a single marker shows is
/// larger: a stretch uploaded twice reads +6 dB, a gap −6 dB or the marker missing. A fault of
/// the formula itself (a gain, a boost, a writer count) moves every marker of a bucket: the
/// mean of hundreds of them (within ±0.4 dB in those runs) catches a 1 dB error.
inline constexpr double kTimingToleranceMs = 1.0;
inline constexpr double kMarkerLevelToleranceDb = 4.5;
inline constexpr double kMeanLevelToleranceDb = 1.0;
/// A marker counts as found at ≥ −6 dB of its expected amplitude, and one of the listener's own
/// or a later bucket counts as heard (an error) by the same rule: ≥ −6 dB of what it would be
/// had the listener heard it directly. (Codec crosstalk between a beat's simultaneous bursts,
/// grown by the echoes in the last buckets, reaches about −12 dB of a direct marker.)
inline constexpr double kFoundFraction = 0.5;
inline constexpr double kStrayFraction = 0.5;

/// Which singer sings a marker on which beat.
struct TimingPlan {
  int singers = 0;
  int slots = 1;   ///< beats per round (each non-leader singer has one slot per round)
  int rounds = 2;  ///< markers per non-leader singer
  explicit TimingPlan(int singers);
  /// Frequency of singer j's marker (the leader: kClickHz).
  double frequency(int j) const;
  /// Song beats on which singer j sings its marker, in order.
  std::vector<int> beats(int j) const;
  /// First beat past the last marker.
  int end_beat() const { return kFirstMarkerBeat + slots * rounds; }
  /// Singers with a marker on beat b (the leader first), appended to `out`.
  void singers_on(int b, std::vector<int>& out) const;
};

/// One measurement by one listener: singer j's marker on beat b.
struct Detection {
  int singer = 0;
  int beat = 0;
  float amplitude = 0;  ///< estimated burst amplitude
  float offset = 0;     ///< samples from the expected centre (peak position)
};

/// State the singers of a timing run share.
class TimingRun {
 public:
  /// `error`: every singer sings this many samples late, `level_error_db` this much louder
  /// (0 and 0 for a perfect choir).
  TimingRun(int singers, const SongState& song, Clock error = 0, double level_error_db = 0.0);
  Clock error() const { return error_; }
  const TimingPlan& plan() const { return plan_; }
  const SongState& song() const { return song_; }
  /// A singer got (or changed) its bucket.
  void set_bucket(int singer, int bucket);
  /// Echo gain of a singer in `bucket`: 1 / singers in it.
  float echo_gain(int bucket) const;
  /// Precomputed marker burst (Hann window × cos) for a frequency; centred at index L/2.
  const std::vector<float>& burst(double hz) const;

 private:
  TimingPlan plan_;
  const SongState& song_;
  Clock error_;
  std::vector<int> bucket_of_;
  std::map<int, int> bucket_sizes_;
  std::map<double, std::vector<float>> bursts_;
};

/// One singer's ears and voice.
class EchoVoice {
 public:
  EchoVoice(const TimingRun& run, int singer, Clock n_samples);
  /// Another bucket: forget what was heard (its clocks are elsewhere). A reconnect in the same
  /// bucket keeps it (heard() continues the history).
  void reset();
  /// Decoded reply audio whose first sample is at decoded position `begin`; runs the
  /// detections whose search window is now complete. A `begin` before the end of what was
  /// heard (a reconnect restarting earlier) adds only the clocks past it; one after it leaves
  /// the gap silent.
  void heard(Clock begin, std::span<const float> pcm);
  /// Fills `out` with what to upload for the write interval starting at `begin`. Samples
  /// before `fresh_from` are silent: this singer uploaded them already (a reconnect can restart
  /// its clocks up to a frame earlier), and the server would mix them into the ring twice,
  /// doubling its markers there (+6 dB for every later listener).
  void sing(Clock begin, float echo_gain, std::span<float> out, Clock fresh_from = 0) const;
  const std::vector<Detection>& detections() const { return detections_; }

 private:
  void detect_ready();
  void measure(int singer, int beat, Clock centre);
  float at(Clock label) const;

  const TimingRun& run_;
  int singer_;
  std::vector<float> history_;  ///< decoded audio, index = position mod size
  Clock begin_ = 0, end_ = 0;   ///< positions held in history_
  int next_beat_ = kFirstMarkerBeat;
  std::vector<int> scratch_;
  std::vector<Detection> detections_;
};

struct TimingResult {
  bool ok = false;
  std::vector<std::string> problems;
  std::string table;
  boost::json::object json;
};

/// Checks every listener's detections against the buckets and the volume formula.
struct TimingListener {
  int bucket = 0;
  const std::vector<Detection>* detections = nullptr;
};
TimingResult analyse_timing(const TimingPlan& plan, const std::vector<TimingListener>& listeners);

}  // namespace brigade::loadtest
