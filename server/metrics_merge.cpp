// brigade: merging the rooms' metrics.
#include "metrics_merge.hpp"

#include <array>
#include <map>
#include <vector>

namespace brigade::server {
namespace {

constexpr std::string_view kHelp = "# HELP ";

constexpr std::array<std::string_view, 4> kServerFamilies{
    "brigade_build_info", "brigade_ready", "brigade_draining", "brigade_ring_frames"};

struct Family {
  std::string header;   ///< the HELP and TYPE lines
  std::string samples;  ///< every room's samples
};

/// `line` (a sample of room `room`) with room="<room>" as its first label.
void append_labelled(std::string& out, std::string_view line, std::string_view room) {
  const std::size_t brace = line.find('{');
  const std::size_t space = line.find(' ');
  const bool has_labels = brace != std::string_view::npos && brace < space;
  const std::size_t name_end = has_labels ? brace : space;
  out.append(line.substr(0, name_end)).append("{room=\"").append(room).append("\"");
  if (has_labels) {
    out.append(",").append(line.substr(brace + 1));
  } else {
    out.append("}").append(line.substr(space));
  }
  out += '\n';
}

}  // namespace

bool is_server_family(std::string_view family) {
  if (family.starts_with("process_")) return true;
  for (const auto f : kServerFamilies) {
    if (f == family) return true;
  }
  return false;
}

std::string merge_room_expositions(std::span<const RoomExposition> rooms) {
  std::vector<std::string> order;
  std::map<std::string, Family, std::less<>> families;
  for (std::size_t r = 0; r < rooms.size(); ++r) {
    const std::string_view text = rooms[r].text;
    Family* current = nullptr;
    bool labelled = false;
    bool take_header = false;  ///< this family is new: its HELP and TYPE lines are kept
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = std::min(text.find('\n', at), text.size());
      const std::string_view line = text.substr(at, end - at);
      at = end + 1;
      if (line.starts_with(kHelp)) {
        const std::string_view rest = line.substr(kHelp.size());
        const std::string_view name = rest.substr(0, rest.find(' '));
        labelled = !is_server_family(name);
        auto [it, added] = families.try_emplace(std::string(name));
        if (added) order.push_back(it->first);
        // A server family is taken from the first room only.
        current = (labelled || r == 0) ? &it->second : nullptr;
        take_header = current && added;
        if (take_header) current->header.append(line).append("\n");
        continue;
      }
      if (!current || line.empty()) continue;
      if (line.starts_with('#')) {
        if (take_header) current->header.append(line).append("\n");
        continue;
      }
      if (labelled) {
        append_labelled(current->samples, line, rooms[r].room);
      } else {
        current->samples.append(line).append("\n");
      }
    }
  }
  std::string out;
  for (const auto& name : order) {
    const Family& f = families.at(name);
    out.append(f.header).append(f.samples);
  }
  return out;
}

}  // namespace brigade::server
