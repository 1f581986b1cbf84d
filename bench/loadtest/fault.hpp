// brigade-loadtest: deliberately broken singers (--faulty), for the operators' chart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brigade/constants.hpp"

namespace brigade::loadtest {

enum class Fault {
  kNone,
  kLate,           ///< every third exchange goes out kLateDelay late
  kSilent,         ///< uploads digital silence
  kMiscalibrated,  ///< writes kMiscalibration earlier than its latency says
};

/// How late a late singer's every third request is sent.
inline constexpr int kLateDelayMs = 400;
/// A mis-calibrated singer's write clock sits this much before a calibrated one's.
inline constexpr int kMiscalibrationMs = 400;

std::string_view fault_name(Fault f);

/// Parses "late:2,silent:1,miscalibrated:1" into one fault per singer index: the faulty
/// singers are the last ones (never singer 0, the leader). Returns nothing and sets `error`
/// on a bad list or when the faults outnumber the singers other than the leader.
std::optional<std::vector<Fault>> parse_faults(std::string_view list, int singers,
                                               std::string& error);

}  // namespace brigade::loadtest
