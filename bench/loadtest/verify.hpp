// brigade-loadtest: verify mode's plan (one steady tone per singer) and its analysis: from each
// singer's decoded replies, who hears whom, checked against the bucket rule (a singer hears
// exactly the singers of earlier buckets) and against the song's end (silence after it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "brigade/constants.hpp"
#include "singer.hpp"

namespace brigade::loadtest {

/// Most singers verify mode accepts: more tones raise the codec's intermodulation products.
inline constexpr int kMaxVerifySingers = 24;

/// Tone of singer k: 250 + 150·k Hz (whole bins of a 600 ms block, 150 Hz apart).
std::vector<double> verify_tones(int singers);
/// Noise-floor probes halfway between tones.
std::vector<double> verify_probes(int singers);

/// Song clocks the analysis uses, in samples relative to song_start_clock.
struct VerifyWindow {
  Clock begin = 0;  ///< first analysed sample, after every earlier bucket is certainly in
  Clock end = 0;    ///< end of the analysed span
};
/// The window for a given write lag and exchange size; the leader stops the song after it.
VerifyWindow verify_window(Clock write_lag, Clock n_samples);

struct VerifyResult {
  bool ok = false;
  int mismatches = 0;
  std::vector<std::string> problems;
  std::string matrix_text;  ///< human-readable who-hears-whom table
  boost::json::object json;
};

VerifyResult analyse_verify(const std::vector<const Singer*>& singers, const SongState& song,
                            Clock write_lag, Clock n_samples);

}  // namespace brigade::loadtest
