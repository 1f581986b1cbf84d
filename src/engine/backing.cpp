// brigade: backing track and metronome.
#include "brigade/engine/backing.hpp"

#include <array>
#include <cmath>
#include <numbers>

namespace brigade {
namespace {

constexpr double kClickHz = 1500.0;
constexpr double kClickDecaySamples = kClickSamples / 4.0;

std::array<float, kClickSamples> make_click() {
  std::array<float, kClickSamples> click{};
  for (std::size_t i = 0; i < click.size(); ++i) {
    const double t = static_cast<double>(i);
    click[i] = static_cast<float>(kClickLevel * std::exp(-t / kClickDecaySamples) *
                                  std::sin(2.0 * std::numbers::pi * kClickHz * t / kSampleRate));
  }
  return click;
}

}  // namespace

std::span<const float> metronome_click() {
  static const std::array<float, kClickSamples> click = make_click();
  return click;
}

void write_track(Ring<float>& ring, Interval span, Clock origin, std::span<const float> track) {
  const Interval overlap{std::max(span.begin, origin),
                         std::min(span.end, origin + static_cast<Clock>(track.size()))};
  if (overlap.empty()) return;
  ring.write(overlap, track.subspan(static_cast<std::size_t>(overlap.begin - origin),
                                    static_cast<std::size_t>(overlap.size())));
}

void write_metronome(Ring<float>& ring, Interval span, Clock origin, Clock beat) {
  if (beat <= 0 || span.empty() || span.end <= origin) return;
  const auto click = metronome_click();
  // First beat whose click may reach into the span.
  const Clock from = std::max<Clock>(0, (span.begin - origin - kClickSamples) / beat);
  for (Clock k = from;; ++k) {
    const Clock start = origin + k * beat;
    if (start >= span.end) break;
    const Interval overlap{std::max(span.begin, start), std::min(span.end, start + kClickSamples)};
    if (overlap.empty()) continue;
    ring.write(overlap, click.subspan(static_cast<std::size_t>(overlap.begin - start),
                                      static_cast<std::size_t>(overlap.size())));
  }
}

}  // namespace brigade
