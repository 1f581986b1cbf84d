// brigade: the wire decode: every exchange parameter, read and checked once.
#include "wire/exchange_request.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/engine/user_summary.hpp"

namespace brigade::server {
namespace json = boost::json;
// The error messages spell the bound out.
static_assert(kMaxClock == 9'007'199'254'740'992);

bool parse_int64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool parse_clock(std::string_view s, Clock& out) {
  return parse_int64(s, out) && out >= 0 && out <= kMaxClock;
}

bool parse_user_id(std::string_view s, UserId& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

namespace {

ApiError bad(std::string_view message) {
  return ApiError::bad_request(message);
}
ApiError bad_audio(std::string_view message) {
  return ApiError::bad_request(message, ErrorReason::kBadAudio);
}

bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

// Reads an optional parameter through `convert`; returns false when present but malformed.
template <class T, class F>
bool optional_param(const Query& q, std::string_view key, std::optional<T>& out, F convert) {
  out.reset();
  const auto v = q.get(key);
  if (!v) return true;
  T value{};
  if (!convert(*v, value)) return false;
  out = value;
  return true;
}

bool bounded_int(std::string_view s, int& out, int max) {
  std::int64_t v = 0;
  if (!parse_int64(s, v) || v < 0 || v > max) return false;
  out = static_cast<int>(v);
  return true;
}

void adjust(Adjustments* adjusted, std::string_view param, std::string message) {
  if (adjusted) adjusted->push_back(Adjustment{param, std::move(message)});
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// A friendly volume: a finite number, clamped to 0..kMaxFriendlyVolume (as the original's
/// volume formula made negatives silent, and its page's advanced field allows any number).
auto friendly_volume(Adjustments* adjusted, std::string_view param) {
  return [adjusted, param](std::string_view s, double& out) {
    if (!parse_number(s, out)) return false;
    const double clamped = std::clamp(out, 0.0, kMaxFriendlyVolume);
    if (clamped != out) {
      adjust(adjusted, param,
             std::string(param) + " " + number_text(out) + " is outside 0-" +
                 number_text(kMaxFriendlyVolume) + "; applied " + number_text(clamped));
      out = clamped;
    }
    return true;
  };
}

bool parse_version(std::string_view s, std::uint64_t& out) {
  return parse_user_id(s, out);  // the same syntax: decimal digits, at most 2^64 - 1
}

bool flag_is_one(std::string_view s, bool& out) {
  out = s == "1";
  return true;
}

MaybeError parse_chat(std::string_view text, std::vector<std::string>& out, Adjustments* adjusted) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return bad("chat must be a JSON array of strings");
  for (const auto& line : v.get_array()) {
    if (!line.is_string()) return bad("chat must be a JSON array of strings");
    if (out.size() >= kMaxChatLinesPerRequest) return bad("more than 8 chat lines in one request");
    const std::string_view s = line.get_string();
    const std::string_view kept = truncate_utf8(s, kMaxChatBytes);
    if (kept.size() < s.size()) {
      adjust(adjusted, "chat",
             "chat line of " + std::to_string(s.size()) + " bytes cut to " +
                 std::to_string(kept.size()) + " (limit " + std::to_string(kMaxChatBytes) + ")");
    }
    out.emplace_back(kept);
  }
  return std::nullopt;
}

MaybeError parse_mic_volume(std::string_view text, std::vector<std::pair<UserId, double>>& out) {
  constexpr const char* kShape = "mic_volume must be a JSON array of [userid, number]";
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return bad(kShape);
  for (const auto& item : v.get_array()) {
    if (!item.is_array() || item.get_array().size() != 2) return bad(kShape);
    const auto& pair = item.get_array();
    UserId id = 0;
    if (!pair[0].is_string() || !parse_user_id(pair[0].get_string(), id)) return bad(kShape);
    if (!pair[1].is_number()) return bad(kShape);
    const double value = pair[1].to_number<double>();
    // The negated test also refuses NaN.
    if (!(value >= 0.0 && value <= kMaxMicVolume))
      return bad("mic_volume levels must be from 0 to 2");
    out.emplace_back(id, value);
  }
  return std::nullopt;
}

MaybeError parse_events(std::string_view text, EventList& out) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array())
    return std::nullopt;  // as the original: unparseable event data is ignored
  for (const auto& item : v.get_array()) {
    const auto* obj = item.if_object();
    if (!obj) return bad("event_data elements must be objects with evid and clock");
    const auto* evid = obj->if_contains("evid");
    const auto* clock = obj->if_contains("clock");
    if (!evid || !clock || !evid->is_string() || !clock->is_number()) {
      return bad("event_data elements must be objects with evid and clock");
    }
    // Checked before the conversion: casting 1e300 or NaN to an integer is undefined.
    const double c = clock->to_number<double>();
    if (!(c >= 0.0 && c <= static_cast<double>(kMaxClock))) {
      return bad("event clock must be a number from 0 to 9007199254740992");
    }
    if (evid->get_string().size() > kMaxEventIdBytes) return bad("event id longer than 64 bytes");
    if (out.size() >= kMaxEventsPerRequest) return bad("more than 16 events in one request");
    out.push_back(Event{std::string(evid->get_string()), static_cast<Clock>(c)});
  }
  return std::nullopt;
}

/// Resets every field of `out` the query may set; strings and vectors keep their capacity.
void clear(ExchangeRequest& out) {
  out.write_clock.reset();
  out.user_backing_volume.reset();
  RoomControls& c = out.controls;
  c.chat.clear();
  c.mic_volume.clear();
  c.event_data.clear();
  c.lyrics.reset();
  c.track.reset();
  c.track_samples.reset();
  c.monitor.reset();
  c.unmonitor.reset();
}

/// Who asks, which interval, and how long the JSON prefix is.
MaybeError decode_interval(const Query& q, ExchangeRequest& out, std::size_t& json_len) {
  const auto userid = q.get("userid");
  if (!userid) return bad("userid is required");
  if (!parse_user_id(*userid, out.user_id)) return bad("userid must be a decimal 64-bit integer");
  const auto read_clock = q.get("read_clock");
  if (!read_clock) return bad("read_clock is required");
  if (!parse_clock(*read_clock, out.read_clock)) {
    return bad("read_clock must be an integer from 0 to 9007199254740992");
  }
  if (!optional_param(q, "write_clock", out.write_clock, parse_clock)) {
    return bad("write_clock must be an integer from 0 to 9007199254740992");
  }
  out.n_samples = 0;
  if (auto n = q.get("n_samples")) {
    if (!parse_int64(*n, out.n_samples) || out.n_samples < 0 ||
        out.n_samples > kMaxExchangeSamples) {
      return bad("n_samples must be an integer from 0 to 144000");
    }
    if (out.n_samples % kOpusFrameSamples != 0) {
      return bad("n_samples must be a multiple of 2880 (60 ms Opus frames)");
    }
  }
  json_len = 0;
  if (auto j = q.get("json_len")) {
    std::int64_t v = 0;
    if (!parse_int64(*j, v) || v < 0 || static_cast<std::size_t>(v) > kMaxJsonPrefixBytes) {
      return bad("json_len must be an integer from 0 to 65536");
    }
    json_len = static_cast<std::size_t>(v);
  }
  return std::nullopt;
}

/// The singer's own state: name, flags, what it wants to hear.
MaybeError decode_singer(const Query& q, ExchangeRequest& out, Adjustments* adjusted) {
  const auto name = q.get("username");
  out.name.assign(name.value_or(std::string_view()));
  if (!valid_utf8(out.name)) return bad("username must be UTF-8");
  out.reset_user_state = q.has("reset_user_state");
  out.user_summary = q.has("user_summary");
  if (!optional_param(q, "user_summary_version", out.known_summary_version, parse_version)) {
    return bad("user_summary_version must be a non-negative integer");
  }
  out.spectator = q.has("spectator");  // any non-empty value, as the client sends it
  out.muted = q.get("muted") == std::optional<std::string_view>("1");
  out.hear_monitor = q.has("hear_monitor");
  out.headphones = q.get("headphones") != std::optional<std::string_view>("0");
  out.loopback = q.get("loopback") == std::optional<std::string_view>("true");
  if (!optional_param(q, "user_backing_volume", out.user_backing_volume,
                      friendly_volume(adjusted, "user_backing_volume"))) {
    return bad("user_backing_volume must be a number");
  }
  if (out.user_backing_volume) {
    *out.user_backing_volume =
        std::round(*out.user_backing_volume / kUserBackingStep) * kUserBackingStep;
  }
  return std::nullopt;
}

/// Room controls given as single values: volumes, rounds, track, flags, monitoring.
MaybeError decode_settings(const Query& q, RoomControls& c, Adjustments* adjusted) {
  if (!optional_param(q, "volume", c.volume, friendly_volume(adjusted, "volume"))) {
    return bad("volume must be a number");
  }
  if (!optional_param(q, "backing_volume", c.backing_volume,
                      friendly_volume(adjusted, "backing_volume"))) {
    return bad("backing_volume must be a number");
  }
  auto bounded = [](int max) {
    return [max](std::string_view s, int& v) { return bounded_int(s, v, max); };
  };
  if (!optional_param(q, "bpm", c.bpm, bounded(kMaxBpm)))
    return bad("bpm must be an integer 0-1000");
  if (!optional_param(q, "repeats", c.repeats, bounded(kMaxRepeats))) {
    return bad("repeats must be an integer 0-100");
  }
  if (!optional_param(q, "bpr", c.bpr, bounded(kMaxBpr)))
    return bad("bpr must be an integer 0-1000");
  if (auto t = q.get("track")) {
    if (t->size() > kMaxTrackNameBytes || !valid_utf8(*t)) return bad("bad track name");
    c.track.emplace(*t);
  }
  optional_param(q, "disableAutoGain", c.disable_auto_gain, flag_is_one);
  optional_param(q, "disableSongVideo", c.disable_song_video, flag_is_one);
  c.request_lead = q.has("request_lead");
  c.mark_start_singing = q.has("mark_start_singing");
  c.mark_stop_singing = q.has("mark_stop_singing");
  c.clear_events = q.has("clear_events");
  c.image = q.has("image");
  c.begin_monitor = q.has("begin_monitor");
  if (!optional_param(q, "monitor", c.monitor, parse_user_id))
    return bad("monitor must be a userid");
  if (!optional_param(q, "hand_lead", c.hand_lead, parse_user_id)) {
    return bad("hand_lead must be a userid");
  }
  if (!optional_param(q, "unmonitor", c.unmonitor, parse_user_id)) {
    return bad("unmonitor must be a userid");
  }
  return std::nullopt;
}

/// Room controls given as JSON lists: chat lines, mic volumes, events.
MaybeError decode_lists(const Query& q, RoomControls& c, Adjustments* adjusted) {
  if (auto chat = q.get("chat")) {
    if (!valid_utf8(*chat)) return bad("chat must be UTF-8");
    if (auto e = parse_chat(*chat, c.chat, adjusted)) return e;
  }
  if (auto mv = q.get("mic_volume")) {
    if (auto e = parse_mic_volume(*mv, c.mic_volume)) return e;
  }
  if (auto ev = q.get("event_data")) {
    if (auto e = parse_events(*ev, c.event_data)) return e;
  }
  return std::nullopt;
}

/// action=status: the room's occupancy, asked without a userid.
MaybeError decode_action(const Query& q, std::string_view action) {
  if (action != "status") return bad("unknown action");
  if (q.has("userid")) return bad("action=status takes no userid");
  return std::nullopt;
}

}  // namespace

namespace wire {

MaybeError decode_query(const Query& q, ExchangeRequest& out, std::size_t& json_len,
                        Adjustments* adjusted) {
  if (adjusted) adjusted->clear();
  clear(out);
  if (auto e = decode_interval(q, out, json_len)) return e;
  if (auto e = decode_singer(q, out, adjusted)) return e;
  if (auto e = decode_settings(q, out.controls, adjusted)) return e;
  return decode_lists(q, out.controls, adjusted);
}

MaybeError decode_json_prefix(std::string_view text, ExchangeRequest& out) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("the JSON prefix must be a JSON object");
  if (const auto* lyrics = v.get_object().if_contains("lyrics")) {
    if (!lyrics->is_string()) return bad("lyrics must be a string");
    out.controls.lyrics.emplace(lyrics->get_string());
  }
  return std::nullopt;
}

MaybeError decode_audio(std::string_view audio, ExchangeRequest& out, PacketList& packets) {
  packets.count = 0;
  if (audio.empty()) {
    if (out.n_samples == 0) return bad("n_samples is required when no audio is sent");
    return std::nullopt;
  }
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(audio.data()), audio.size());
  if (auto e = parse_container(bytes, packets); e != ContainerError::kNone) {
    packets.count = 0;
    return bad_audio(to_string(e));
  }
  Clock total = 0;
  for (const auto packet : packets.view()) {
    const int n = codec::packet_samples(packet);
    if (n < 0) return bad_audio("bad Opus packet: " + codec::error_text(n));
    total += n;
    if (total > kMaxExchangeSamples) return bad_audio("upload longer than 3 s");
  }
  if (out.n_samples != 0 && out.n_samples != total) {
    return bad_audio("n_samples differs from the decoded audio length");
  }
  if (total == 0 || total % kOpusFrameSamples != 0) {
    return bad_audio("uploaded audio is not a whole number of 60 ms frames");
  }
  out.n_samples = total;
  return std::nullopt;
}

MaybeError decode_request(std::string_view raw_query, std::string_view body,
                          Credentials credentials, const AdminToken& admin_token,
                          DecodedRequest& out) {
  out.packets.count = 0;
  out.adjusted.clear();
  out.session_token.reset();
  if (auto e = out.query.parse(raw_query)) return e;
  const Query& q = out.query;
  if (auto action = q.get("action")) {
    out.kind = RequestKind::kStatus;
    return decode_action(q, *action);
  }
  out.kind = RequestKind::kExchange;
  ExchangeRequest& req = out.exchange;
  std::size_t json_len = 0;
  if (auto e = decode_query(q, req, json_len, &out.adjusted)) return e;
  if (body.size() < json_len) return bad("body is shorter than json_len");
  if (json_len > 0) {
    if (auto e = decode_json_prefix(body.substr(0, json_len), req)) return e;
  }
  if (auto e = decode_audio(body.substr(json_len), req, out.packets)) return e;
  // Either place may carry a credential; the header wins for the session token.
  req.admin = admin_token.matches_any(q.get("admin_token"), credentials.admin_token);
  req.holds_admin_token = req.admin && !admin_token.open();
  out.session_token = q.get("session_token");
  if (!credentials.session_token.empty()) out.session_token = credentials.session_token;
  req.chats_pushed = credentials.chats_pushed;
  return std::nullopt;
}

}  // namespace wire
}  // namespace brigade::server
