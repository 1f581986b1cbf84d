// brigade: room names.
#include "room_name.hpp"

namespace brigade::server {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

const char* room_name_error(std::string_view name) {
  if (name.empty()) return "a room name is 1 to 32 characters: a-z, 0-9, '-' and '_'";
  if (name.size() > kMaxRoomNameChars) return "a room name is at most 32 characters";
  if (!is_alnum(name.front())) return "a room name starts with a-z or 0-9";
  for (const char c : name) {
    if (!is_alnum(c) && c != '-' && c != '_') {
      return "a room name has only a-z, 0-9, '-' and '_' (lower case)";
    }
  }
  return nullptr;
}

}  // namespace brigade::server
