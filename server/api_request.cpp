// brigade: typed parsing of the exchange parameters.
#include "api_request.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>

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

const char* parse_chat(std::string_view text, std::vector<std::string>& out,
                       Adjustments* adjusted) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return "chat must be a JSON array of strings";
  for (const auto& line : v.get_array()) {
    if (!line.is_string()) return "chat must be a JSON array of strings";
    if (out.size() >= kMaxChatLinesPerRequest) return "more than 8 chat lines in one request";
    const std::string_view s = line.get_string();
    const std::string_view kept = truncate_utf8(s, kMaxChatBytes);
    if (kept.size() < s.size()) {
      adjust(adjusted, "chat",
             "chat line of " + std::to_string(s.size()) + " bytes cut to " +
                 std::to_string(kept.size()) + " (limit " + std::to_string(kMaxChatBytes) + ")");
    }
    out.emplace_back(kept);
  }
  return nullptr;
}

const char* parse_mic_volume(std::string_view text, std::vector<std::pair<UserId, double>>& out) {
  constexpr const char* kShape = "mic_volume must be a JSON array of [userid, number]";
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return kShape;
  for (const auto& item : v.get_array()) {
    if (!item.is_array() || item.get_array().size() != 2) return kShape;
    const auto& pair = item.get_array();
    UserId id = 0;
    if (!pair[0].is_string() || !parse_user_id(pair[0].get_string(), id)) return kShape;
    if (!pair[1].is_number()) return kShape;
    const double value = pair[1].to_number<double>();
    // The negated test also refuses NaN.
    if (!(value >= 0.0 && value <= kMaxMicVolume)) return "mic_volume levels must be from 0 to 2";
    out.emplace_back(id, value);
  }
  return nullptr;
}

const char* parse_events(std::string_view text, EventList& out) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return nullptr;  // as the original: unparseable event data is ignored
  for (const auto& item : v.get_array()) {
    const auto* obj = item.if_object();
    if (!obj) return "event_data elements must be objects with evid and clock";
    const auto* evid = obj->if_contains("evid");
    const auto* clock = obj->if_contains("clock");
    if (!evid || !clock || !evid->is_string() || !clock->is_number()) {
      return "event_data elements must be objects with evid and clock";
    }
    // Checked before the conversion: casting 1e300 or NaN to an integer is undefined.
    const double c = clock->to_number<double>();
    if (!(c >= 0.0 && c <= static_cast<double>(kMaxClock))) {
      return "event clock must be a number from 0 to 9007199254740992";
    }
    if (evid->get_string().size() > kMaxEventIdBytes) return "event id longer than 64 bytes";
    if (out.size() >= kMaxEventsPerRequest) return "more than 16 events in one request";
    out.push_back(Event{std::string(evid->get_string()), static_cast<Clock>(c)});
  }
  return nullptr;
}

}  // namespace

const char* parse_exchange(const Query& q, ExchangeRequest& out, std::size_t& json_len,
                           Adjustments* adjusted) {
  // Reset every field; strings and vectors keep their capacity.
  if (adjusted) adjusted->clear();
  out.write_clock.reset();
  out.user_backing_volume.reset();
  RoomControls& c = out.controls;
  c.chat.clear();
  c.mic_volume.clear();
  c.event_data.clear();
  c.lyrics.reset();
  c.track.reset();
  c.monitor.reset();
  c.unmonitor.reset();

  const auto userid = q.get("userid");
  if (!userid) return "userid is required";
  if (!parse_user_id(*userid, out.user_id)) return "userid must be a decimal 64-bit integer";

  const auto read_clock = q.get("read_clock");
  if (!read_clock) return "read_clock is required";
  if (!parse_clock(*read_clock, out.read_clock)) {
    return "read_clock must be an integer from 0 to 9007199254740992";
  }
  if (!optional_param(q, "write_clock", out.write_clock, parse_clock)) {
    return "write_clock must be an integer from 0 to 9007199254740992";
  }
  out.n_samples = 0;
  if (auto n = q.get("n_samples")) {
    if (!parse_int64(*n, out.n_samples) || out.n_samples < 0 ||
        out.n_samples > kMaxExchangeSamples) {
      return "n_samples must be an integer from 0 to 144000";
    }
    if (out.n_samples % kOpusFrameSamples != 0) {
      return "n_samples must be a multiple of 2880 (60 ms Opus frames)";
    }
  }
  json_len = 0;
  if (auto j = q.get("json_len")) {
    std::int64_t v = 0;
    if (!parse_int64(*j, v) || v < 0 || static_cast<std::size_t>(v) > kMaxJsonPrefixBytes) {
      return "json_len must be an integer from 0 to 65536";
    }
    json_len = static_cast<std::size_t>(v);
  }

  const auto name = q.get("username");
  out.name.assign(name.value_or(std::string_view()));
  if (!valid_utf8(out.name)) return "username must be UTF-8";

  out.reset_user_state = q.has("reset_user_state");
  out.user_summary = q.has("user_summary");
  if (!optional_param(q, "user_summary_version", out.known_summary_version, parse_version)) {
    return "user_summary_version must be a non-negative integer";
  }
  out.spectator = q.has("spectator");  // any non-empty value, as the client sends it
  out.muted = q.get("muted") == std::optional<std::string_view>("1");
  out.hear_monitor = q.has("hear_monitor");
  out.headphones = q.get("headphones") != std::optional<std::string_view>("0");
  out.loopback = q.get("loopback") == std::optional<std::string_view>("true");
  if (!optional_param(q, "user_backing_volume", out.user_backing_volume,
                      friendly_volume(adjusted, "user_backing_volume"))) {
    return "user_backing_volume must be a number";
  }
  if (out.user_backing_volume) {
    *out.user_backing_volume =
        std::round(*out.user_backing_volume / kUserBackingStep) * kUserBackingStep;
  }

  if (!optional_param(q, "volume", c.volume, friendly_volume(adjusted, "volume"))) {
    return "volume must be a number";
  }
  if (!optional_param(q, "backing_volume", c.backing_volume,
                      friendly_volume(adjusted, "backing_volume"))) {
    return "backing_volume must be a number";
  }
  auto bounded = [](int max) {
    return [max](std::string_view s, int& v) { return bounded_int(s, v, max); };
  };
  if (!optional_param(q, "bpm", c.bpm, bounded(kMaxBpm))) return "bpm must be an integer 0-1000";
  if (!optional_param(q, "repeats", c.repeats, bounded(kMaxRepeats))) {
    return "repeats must be an integer 0-100";
  }
  if (!optional_param(q, "bpr", c.bpr, bounded(kMaxBpr))) return "bpr must be an integer 0-1000";
  if (auto t = q.get("track")) {
    if (t->size() > kMaxTrackNameBytes || !valid_utf8(*t)) return "bad track name";
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
  if (!optional_param(q, "monitor", c.monitor, parse_user_id)) return "monitor must be a userid";
  if (!optional_param(q, "hand_lead", c.hand_lead, parse_user_id)) {
    return "hand_lead must be a userid";
  }
  if (!optional_param(q, "unmonitor", c.unmonitor, parse_user_id)) {
    return "unmonitor must be a userid";
  }
  if (auto chat = q.get("chat")) {
    if (!valid_utf8(*chat)) return "chat must be UTF-8";
    if (const char* e = parse_chat(*chat, c.chat, adjusted)) return e;
  }
  if (auto mv = q.get("mic_volume")) {
    if (const char* e = parse_mic_volume(*mv, c.mic_volume)) return e;
  }
  if (auto ev = q.get("event_data")) {
    if (const char* e = parse_events(*ev, c.event_data)) return e;
  }
  return nullptr;
}

const char* decode_exchange(const Query& query, std::string_view body, ExchangeRequest& out,
                            std::string_view& audio, Adjustments* adjusted) {
  std::size_t json_len = 0;
  if (const char* e = parse_exchange(query, out, json_len, adjusted)) return e;
  if (body.size() < json_len) return "body is shorter than json_len";
  if (json_len > 0) {
    if (const char* e = parse_json_prefix(body.substr(0, json_len), out)) return e;
  }
  audio = body.substr(json_len);
  return nullptr;
}

const char* parse_json_prefix(std::string_view text, ExchangeRequest& out) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return "the JSON prefix must be a JSON object";
  if (const auto* lyrics = v.get_object().if_contains("lyrics")) {
    if (!lyrics->is_string()) return "lyrics must be a string";
    out.controls.lyrics.emplace(lyrics->get_string());
  }
  return nullptr;
}

}  // namespace brigade::server
