// brigade-loadtest: verify-mode analysis (see verify.hpp).
#include "verify.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <boost/json/array.hpp>

namespace brigade::loadtest {
namespace {

/// A tone counts as heard when its power is this far above the noise floor (20 dB)…
constexpr double kHeardOverFloor = 100.0;
/// …and above this absolute power (a sine of amplitude 0.002, −54 dBFS).
constexpr double kHeardAbsolute = 1e-6;
/// …and within 15 dB of the strongest tone the listener hears. Every tone sits on a 150 Hz grid,
/// so the codec's third-order intermodulation (fa + fb - fc) lands on other singers' tones:
/// far above the off-grid floor, but measured at -23 dB or less with 12 singers, while a tone
/// really mixed in arrives at -6 dB (the leader's is boosted to 0 dB).
constexpr double kHeardBelowStrongest = 0.03;
/// Chunks analysed per listener, at least.
constexpr std::size_t kMinChunks = 2;

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double to_db(double power_ratio) {
  return 10.0 * std::log10(std::max(power_ratio, 1e-30));
}

}  // namespace

std::vector<double> verify_tones(int singers) {
  std::vector<double> f;
  for (int k = 0; k < singers; ++k) f.push_back(250.0 + 150.0 * k);
  return f;
}

std::vector<double> verify_probes(int singers) {
  std::vector<double> f;
  for (int k = 0; k < singers; ++k) f.push_back(325.0 + 150.0 * k);
  return f;
}

VerifyWindow verify_window(Clock write_lag, Clock n_samples) {
  // The leader's first mixed write ends one exchange after the start plus its lag; give the
  // followers' reconnects another two exchanges, then analyse four exchanges' worth.
  const Clock begin = write_lag + 3 * n_samples;
  return {begin, begin + 4 * n_samples};
}

VerifyResult analyse_verify(const std::vector<const Singer*>& singers, const SongState& song,
                            Clock write_lag, Clock n_samples) {
  VerifyResult out;
  const std::size_t n = singers.size();
  const VerifyWindow w = verify_window(write_lag, n_samples);
  const Clock s = song.start_clock;
  auto problem = [&](std::string text) {
    out.problems.push_back(std::move(text));
    ++out.mismatches;
  };
  if (s <= 1) {
    problem("the song never started (no song_start_clock in the replies)");
    return out;
  }
  if (song.end_clock <= 1) problem("the song never ended (no song_end_clock after the stop)");

  // Listeners and columns in bucket order.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return singers[a]->bucket() < singers[b]->bucket();
  });

  boost::json::array matrix, buckets, end_silent, levels;
  std::string text =
      "who hears whom (rows: listeners, columns: singers, both by bucket;\n"
      "  '#' heard, '.' not heard, '!' wrong, '?' no audio to analyse)\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-18s", "listener \\ singer");
  text += line;
  for (std::size_t j : order) {
    std::snprintf(line, sizeof line, "%3zu", j);
    text += line;
  }
  text += "\n";
  for (std::size_t i = 0; i < n; ++i) buckets.push_back(singers[i]->bucket());
  std::vector<boost::json::array> rows(n);

  for (std::size_t i : order) {
    const Singer& listener = *singers[i];
    std::snprintf(line, sizeof line, "%3zu @ %2d s        ", i, listener.bucket());
    text += line;
    if (listener.bucket() == 0) problem("singer " + std::to_string(i) + " got no bucket");
    // Average the powers over the chunks inside the window.
    std::vector<double> tones(n, 0.0), probes(n, 0.0);
    std::size_t used = 0;
    bool end_ok = song.end_clock > 1;
    std::size_t after_end = 0;
    for (const ChunkPowers& c : listener.chunks()) {
      if (c.end - n_samples >= s + w.begin && c.end <= s + w.end) {
        for (std::size_t j = 0; j < n; ++j) {
          tones[j] += c.tones[j];
          probes[j] += c.probes[j];
        }
        ++used;
      }
      // After the song's end (skipping one exchange of codec ring-out): silence.
      if (song.end_clock > 1 && c.end - n_samples >= song.end_clock + n_samples) {
        ++after_end;
        const double floor = median({c.probes.begin(), c.probes.end()});
        for (std::size_t j = 0; j < n; ++j) {
          if (c.tones[j] >= std::max(kHeardOverFloor * floor, kHeardAbsolute)) end_ok = false;
        }
      }
    }
    if (after_end == 0) end_ok = false;
    end_silent.push_back(end_ok);
    if (!end_ok) {
      problem(
          "singer " + std::to_string(i) +
          (after_end == 0 ? " never heard the song's end" : " still hears tones after the end"));
    }
    if (used < kMinChunks) {
      for (std::size_t j : order) {
        (void)j;
        text += "  ?";
      }
      text += "\n";
      problem("singer " + std::to_string(i) + ": only " + std::to_string(used) +
              " reply chunks inside the analysis window");
      continue;
    }
    for (auto& t : tones) t /= static_cast<double>(used);
    for (auto& p : probes) p /= static_cast<double>(used);
    const double floor = median(probes);
    const double strongest = *std::max_element(tones.begin(), tones.end());
    const double threshold =
        std::max({kHeardOverFloor * floor, kHeardAbsolute, kHeardBelowStrongest * strongest});
    rows[i].resize(n);
    boost::json::array level_row;
    for (std::size_t j = 0; j < n; ++j)
      level_row.push_back(std::round(to_db(tones[j] / std::max(strongest, 1e-30)) * 10.0) / 10.0);
    levels.push_back(std::move(level_row));
    for (std::size_t j : order) {
      const bool heard = tones[j] >= threshold;
      const bool expected = singers[j]->bucket() < listener.bucket();
      rows[i][j] = heard;
      text += heard == expected ? (heard ? "  #" : "  .") : "  !";
      if (heard != expected) {
        problem("singer " + std::to_string(i) + " (bucket " + std::to_string(listener.bucket()) +
                " s) " + (heard ? "hears" : "does not hear") + " singer " + std::to_string(j) +
                " (bucket " + std::to_string(singers[j]->bucket()) + " s): tone " +
                std::to_string(
                    static_cast<int>(std::lround(to_db(tones[j] / std::max(floor, 1e-30))))) +
                " dB over the floor");
      }
    }
    text += "\n";
  }
  for (auto& r : rows) matrix.push_back(std::move(r));
  out.matrix_text = std::move(text);
  out.ok = out.mismatches == 0;
  out.json["song_start_clock"] = s;
  out.json["song_end_clock"] = song.end_clock;
  out.json["buckets"] = std::move(buckets);
  out.json["hears"] = std::move(matrix);
  out.json["levels_db"] = std::move(levels);  // listener order, relative to its strongest tone
  out.json["silent_after_end"] = std::move(end_silent);
  out.json["mismatches"] = out.mismatches;
  boost::json::array problems;
  for (const auto& p : out.problems) problems.push_back(boost::json::string(p));
  out.json["problems"] = std::move(problems);
  out.json["passed"] = out.ok;
  return out;
}

}  // namespace brigade::loadtest
