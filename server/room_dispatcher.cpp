// brigade: the front dispatcher.
#include "room_dispatcher.hpp"

#include "error_page.hpp"
#include "metrics_merge.hpp"
#include "room_name.hpp"
#include "wire/json_writer.hpp"

namespace brigade::server {
using wire::append_json_int;
using wire::append_json_string;
using wire::append_json_uint;
namespace {

constexpr std::string_view kLobbyApi = "/api/rooms";
constexpr std::string_view kLobbyPage = "/rooms";
constexpr std::string_view kLobbyFile = "/rooms.html";
/// Seconds a client refused at --max-rooms is told to wait (Retry-After).
constexpr std::string_view kFullRetryAfterSeconds = "30";

bool is_read(std::string_view method) {
  return method == "GET" || method == "HEAD";
}

ApiResponse redirect(std::string location) {
  ApiResponse r;
  r.status = 308;
  r.content_type = "text/plain";
  r.cors = false;
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

ApiResponse refusal(unsigned status, std::string_view message, const RequestExtras& extras) {
  ApiResponse r = error_response(status, message);
  if (status == 503) r.headers.emplace_back("Retry-After", std::string(kFullRetryAfterSeconds));
  return wants_html(extras.accept) ? html_error(r) : r;
}

/// `target` without a leading "/r/<name>" (the whole target when it has no room prefix).
std::string_view strip_room(std::string_view target) {
  if (!target.starts_with(kRoomPathPrefix)) return target;
  const std::string_view rest = target.substr(kRoomPathPrefix.size());
  const std::size_t slash = rest.find_first_of("/?");
  return slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
}

/// The recordings listing names files by absolute path ("/recordings/…"); inside room `name`
/// they live under /r/<name>/recordings/. Only JSON values are rewritten: a quote inside a string
/// is escaped, so `":"/recordings/` occurs only where a value starts.
void prefix_recording_urls(std::string& json, std::string_view name) {
  constexpr std::string_view kValue = "\":\"/recordings/";
  const std::string replacement =
      std::string("\":\"").append(kRoomPathPrefix).append(name).append("/recordings/");
  for (std::size_t at = json.find(kValue); at != std::string::npos;
       at = json.find(kValue, at + replacement.size())) {
    json.replace(at, kValue.size(), replacement);
  }
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

bool RoomDispatcher::is_upload_target(std::string_view target, bool api_at_root) {
  return Router::is_upload_target(api_at_root ? target : strip_room(target), api_at_root);
}

ApiResponse RoomDispatcher::handle(std::string_view method, std::string_view target,
                                   std::string_view body, RequestExtras extras) {
  Router& main = rooms_.default_room().router();
  // A root-API port is the original page's localhost mode: one room, the default.
  if (extras.api_at_root) return main.handle(method, target, body, extras);
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with(kRoomPathPrefix)) return in_room(method, target, body, extras);
  const auto start = std::chrono::steady_clock::now();
  if (path == "/r") return counted(redirect(std::string(kLobbyPage)), start, target, body);
  if (path == kLobbyApi) return counted(lobby(method), start, target, body);
  if (path == kLobbyPage) return main.handle(method, kLobbyFile, body, extras);
  if (path == "/metrics") return metrics_text(method, target, extras);
  return main.handle(method, target, body, extras);
}

ApiResponse RoomDispatcher::in_room(std::string_view method, std::string_view target,
                                    std::string_view body, RequestExtras extras) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view rest = target.substr(kRoomPathPrefix.size());
  const std::size_t end = rest.find_first_of("/?");
  const std::string_view name = rest.substr(0, end);
  if (name.empty()) return counted(redirect(std::string(kLobbyPage)), start, target, body);
  if (const char* bad = room_name_error(name)) {
    return counted(refusal(400, bad, extras), start, target, body);
  }
  if (end == std::string_view::npos || rest[end] == '?') {
    // "/r/choir": the page's relative URLs ("api", "style.css") need the trailing slash.
    std::string location = std::string(kRoomPathPrefix).append(name).append("/");
    if (end != std::string_view::npos) location.append(rest.substr(end));
    return counted(redirect(std::move(location)), start, target, body);
  }
  auto found = rooms_.find_or_create(name);
  if (!found.room) {
    ApiResponse r = refusal(found.status, found.message, extras);
    if (found.status == 500) r.reason = ErrorReason::kRecording;  // its folders: the disk
    return counted(std::move(r), start, target, body);
  }
  // The room's own Router sees the target below its prefix: "/r/choir/api?…" → "/api?…".
  const std::string_view inner = rest.substr(end);
  ApiResponse r = found.room->router().handle(method, inner, body, extras);
  if (r.status == 200 && inner.substr(0, inner.find('?')) == "/api/recordings") {
    prefix_recording_urls(r.body, name);
  }
  return r;
}

ApiResponse RoomDispatcher::counted(ApiResponse r, std::chrono::steady_clock::time_point start,
                                    std::string_view target, std::string_view body) {
  Metrics& m = metrics();
  m.record_request(r.status, std::chrono::steady_clock::now() - start, target.size() + body.size(),
                   r.body.size());
  if (r.reason != ErrorReason::kNone) m.record_error(r.reason);
  return r;
}

ApiResponse RoomDispatcher::lobby(std::string_view method) {
  if (!is_read(method)) {
    ApiResponse r = error_response(405, "method not allowed");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  std::string body = "{\"rooms\": [";
  bool first = true;
  for (const auto& room : rooms_.list()) {
    if (!first) body += ", ";
    first = false;
    body += "{\"name\": ";
    append_json_string(body, room.name);
    body += ", \"url\": ";
    append_json_string(body, room.name == kDefaultRoomName
                                 ? std::string("/")
                                 : std::string(kRoomPathPrefix) + room.name + "/");
    body += ", \"singers\": ";
    append_json_int(body, room.singers);
    body += ", \"song\": ";
    append_json_string(body, to_string(room.phase));
    body += "}";
  }
  body += "], \"max_rooms\": ";
  append_json_uint(body, rooms_.max_rooms());
  body += ", \"create_on_join\": ";
  body += rooms_.listed_only() ? "false" : "true";
  body += ", \"name_rule\": \"1-32 characters: a-z, 0-9, '-' and '_', starting with a-z or 0-9\"}";
  ApiResponse r;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse RoomDispatcher::metrics_text(std::string_view method, std::string_view target,
                                         RequestExtras extras) {
  // The default room's own answer: the token check (--private), the request counted, and its
  // exposition with the process families.
  ApiResponse r = rooms_.default_room().router().handle(method, target, {}, extras);
  if (r.status != 200) return r;
  const auto open = rooms_.open_rooms();
  std::vector<std::string> texts;
  texts.reserve(open.size());
  std::vector<RoomExposition> expositions{{open[0]->name(), r.body}};
  for (std::size_t i = 1; i < open.size(); ++i)
    texts.push_back(open[i]->router().exposition(false));
  for (std::size_t i = 1; i < open.size(); ++i)
    expositions.push_back({open[i]->name(), texts[i - 1]});
  std::string out = merge_room_expositions(expositions);
  const auto rooms = rooms_.list();
  append_family(out, "brigade_rooms", "gauge", "Rooms open now, the default room included.");
  out.append("brigade_rooms ").append(std::to_string(rooms.size())).append("\n");
  append_family(out, "brigade_rooms_max", "gauge", "Named rooms allowed at once (--max-rooms).");
  out.append("brigade_rooms_max ").append(std::to_string(rooms_.max_rooms())).append("\n");
  append_family(out, "brigade_rooms_created_total", "counter", "Named rooms made.");
  out.append("brigade_rooms_created_total ").append(std::to_string(rooms_.created())).append("\n");
  append_family(out, "brigade_rooms_released_total", "counter",
                "Named rooms released after --room-idle-seconds without singers.");
  out.append("brigade_rooms_released_total ")
      .append(std::to_string(rooms_.released()))
      .append("\n");
  append_family(out, "brigade_rooms_refused_total", "counter",
                "Requests for a new room refused because --max-rooms were open.");
  out.append("brigade_rooms_refused_total ")
      .append(std::to_string(rooms_.refused_full()))
      .append("\n");
  // One series per open room: at most --max-rooms + 1 label values.
  append_family(out, "brigade_room_singers", "gauge", "Active singers per open room.");
  for (const auto& room : rooms) {
    out.append("brigade_room_singers{room=\"").append(room.name).append("\"} ");
    out.append(std::to_string(room.singers)).append("\n");
  }
  append_family(out, "brigade_room_http_requests_total", "counter",
                "HTTP requests answered per open room (since the room was made).");
  for (const auto& room : rooms) {
    out.append("brigade_room_http_requests_total{room=\"").append(room.name).append("\"} ");
    out.append(std::to_string(room.requests)).append("\n");
  }
  r.body = std::move(out);
  return r;
}

}  // namespace brigade::server
