// brigade: volume scale and reply mix.
#include "brigade/volume.hpp"

#include <Eigen/Core>
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
  return static_cast<float>(friendly_to_scalar(1.1));
}

void render_reply(std::span<float> audio, std::span<const float> backing,
                  std::span<const WriterCount> writers, const ReplyLevels& levels) {
  const auto n = static_cast<Eigen::Index>(audio.size());
  Eigen::Map<Eigen::ArrayXf> a(audio.data(), n);
  Eigen::Map<const Eigen::ArrayXf> b(backing.data(), n);
  using Counts = Eigen::Array<WriterCount, Eigen::Dynamic, 1>;
  Eigen::Map<const Counts> w(writers.data(), n);
  const float backing_gain = levels.backing_volume * levels.backing_factor * levels.user_backing;
  if (levels.auto_gain) {
    a = (a * (3.0f / (w.cast<float>() + 2.0f)).sqrt() + b * backing_gain) * levels.global_volume;
  } else {
    a = (a + b * backing_gain) * levels.global_volume;
  }
}

float rms(std::span<const float> block) {
  if (block.empty()) return 0.0f;
  Eigen::Map<const Eigen::ArrayXf> a(block.data(), static_cast<Eigen::Index>(block.size()));
  return std::sqrt(a.square().mean());
}

}  // namespace brigade
