// brigade: what a room's name may be. A name is a path segment (/r/<name>/) and a folder name
// (<recordings-dir>/rooms/<name>), so its alphabet excludes '/', '.', '%' and everything else
// that could escape either.
#pragma once

#include <cstddef>
#include <string_view>

namespace brigade::server {

/// Longest room name, characters (bytes: the alphabet is ASCII).
inline constexpr std::size_t kMaxRoomNameChars = 32;
/// The room that answers at the bare / and /api (the original client's room); also /r/default/.
inline constexpr std::string_view kDefaultRoomName = "default";
/// The path prefix of a named room: /r/<name>/…
inline constexpr std::string_view kRoomPathPrefix = "/r/";

/// Why `name` is not a room name (a sentence for the 400 reply), or nullptr when it is one:
/// 1 to kMaxRoomNameChars characters from a-z, 0-9, '-' and '_', starting with a letter or a
/// digit. Lower case only, so one room cannot be reached under two spellings.
const char* room_name_error(std::string_view name);

}  // namespace brigade::server
