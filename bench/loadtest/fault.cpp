// brigade-loadtest: --faulty (see fault.hpp).
#include "fault.hpp"

#include <charconv>

namespace brigade::loadtest {

std::string_view fault_name(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kLate:
      return "late";
    case Fault::kSilent:
      return "silent";
    case Fault::kMiscalibrated:
      return "miscalibrated";
  }
  return "none";
}

std::optional<std::vector<Fault>> parse_faults(std::string_view list, int singers,
                                               std::string& error) {
  std::vector<Fault> faults(static_cast<std::size_t>(singers), Fault::kNone);
  int next = singers - 1;  // faulty singers are taken from the end
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    const auto colon = item.find(':');
    const std::string_view kind = item.substr(0, colon);
    int count = 1;
    if (colon != std::string_view::npos) {
      const std::string_view n = item.substr(colon + 1);
      const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
      if (ec != std::errc{} || end != n.data() + n.size() || count < 0) {
        error = "--faulty: bad count in '" + std::string(item) + "'";
        return std::nullopt;
      }
    }
    Fault f = Fault::kNone;
    for (const Fault c : {Fault::kLate, Fault::kSilent, Fault::kMiscalibrated}) {
      if (kind == fault_name(c)) f = c;
    }
    if (f == Fault::kNone) {
      error = "--faulty: unknown fault '" + std::string(kind) + "' (late, silent, miscalibrated)";
      return std::nullopt;
    }
    for (int i = 0; i < count; ++i, --next) {
      if (next < 1) {
        error = "--faulty: more faulty singers than --singers minus the leader";
        return std::nullopt;
      }
      faults[static_cast<std::size_t>(next)] = f;
    }
  }
  return faults;
}

}  // namespace brigade::loadtest
