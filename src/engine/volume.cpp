// brigade: volume scale and reply mix.
#include "brigade/engine/volume.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace brigade {
namespace {
constexpr double kFriendlyExponent = 6.908;  // ln(1000): friendly 0..1 spans 60 dB
}

double friendly_to_scalar(double friendly) {
  if (friendly < 1e-7) return 0.0;
  return std::exp(kFriendlyExponent * friendly) / 1000.0;
}

double scalar_to_friendly(double scalar) {
  if (scalar < 1e-4) return 0.0;
  return std::log(scalar * 1000.0) / kFriendlyExponent;
}

float mic_gain(double console_value) {
  return static_cast<float>(friendly_to_scalar(console_value / 2) / friendly_to_scalar(0.5));
}

float leader_boost() {
  static const float boost = static_cast<float>(friendly_to_scalar(1.1));  // once, not per write
  return boost;
}

void render_reply(std::span<float> audio, std::span<const float> backing,
                  std::span<const WriterCount> writers, const ReplyLevels& levels) {
  const float backing_gain = levels.backing_volume * levels.backing_factor * levels.user_backing;
  // Writer counts change only where a singer's block starts or ends, so the auto-gain is
  // constant over long runs: one sqrt per run instead of one per sample.
  std::size_t i = 0;
  while (i < audio.size()) {
    const WriterCount w = writers[i];
    const auto run_end = std::find_if(writers.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                      writers.end(), [w](WriterCount x) { return x != w; });
    const auto j = static_cast<std::size_t>(run_end - writers.begin());
    const auto n = static_cast<Eigen::Index>(j - i);
    const float g = levels.auto_gain ? std::sqrt(3.0f / (static_cast<float>(w) + 2.0f)) : 1.0f;
    Eigen::Map<Eigen::ArrayXf> a(audio.data() + i, n);
    Eigen::Map<const Eigen::ArrayXf> b(backing.data() + i, n);
    a = (a * (g * levels.global_volume)) + b * (backing_gain * levels.global_volume);
    i = j;
  }
}

float rms(std::span<const float> block) {
  if (block.empty()) return 0.0f;
  Eigen::Map<const Eigen::ArrayXf> a(block.data(), static_cast<Eigen::Index>(block.size()));
  return std::sqrt(a.square().mean());
}

float peak(std::span<const float> block) {
  if (block.empty()) return 0.0f;
  Eigen::Map<const Eigen::ArrayXf> a(block.data(), static_cast<Eigen::Index>(block.size()));
  return a.abs().maxCoeff();
}

}  // namespace brigade
