// brigade client: wire format (see api_wire.hpp).
#include "client/api_wire.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <boost/json.hpp>

namespace brigade::client {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
         c == '-' || c == '.' || c == '_';
}

std::string format_double(double v) {
  // Shortest text that JSON-style parsers read back; %.17g is exact for a double.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::uint16_t read_u16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t read_u32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

std::uint64_t read_u64(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint64_t{read_u32(b, at)} << 32) | read_u32(b, at + 4);
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

ParseStatus get_optional_int(const boost::json::object& obj, std::string_view key,
                             std::optional<int>& out) {
  out.reset();
  const auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  std::int64_t i = 0;
  if (auto s = get_int(obj, key, i); !s.ok()) return s;
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
    return ParseStatus::fail("metadata key '" + std::string(key) + "' out of range");
  out = static_cast<int>(i);
  return {};
}

}  // namespace

std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

std::string build_query(std::span<const QueryParam> params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += form_encode(name);
    out.push_back('=');
    out += form_encode(value);
  }
  return out;
}

std::vector<QueryParam> exchange_query_params(const ExchangeParams& p) {
  std::vector<QueryParam> q;
  auto add = [&q](const char* name, std::string value) { q.emplace_back(name, std::move(value)); };
  auto flag = [&add](const char* name, bool on) {
    if (on) add(name, "1");
  };
  add("userid", std::to_string(p.userid));
  add("read_clock", std::to_string(p.read_clock));
  if (p.write_clock) add("write_clock", std::to_string(*p.write_clock));
  if (p.n_samples) add("n_samples", std::to_string(*p.n_samples));
  if (!p.username.empty()) add("username", p.username);
  if (p.reset_user_state) add("reset_user_state", "true");
  flag("user_summary", p.user_summary);
  flag("request_lead", p.request_lead);
  flag("mark_start_singing", p.mark_start_singing);
  flag("mark_stop_singing", p.mark_stop_singing);
  flag("spectator", p.spectator);
  flag("muted", p.muted);
  flag("hear_monitor", p.hear_monitor);
  flag("begin_monitor", p.begin_monitor);
  flag("clear_events", p.clear_events);
  if (p.loopback) add("loopback", "true");
  if (p.json_len) add("json_len", std::to_string(*p.json_len));
  if (p.chat_json) add("chat", *p.chat_json);
  if (p.mic_volume_json) add("mic_volume", *p.mic_volume_json);
  if (p.event_data_json) add("event_data", *p.event_data_json);
  if (p.bpm) add("bpm", std::to_string(*p.bpm));
  if (p.repeats) add("repeats", std::to_string(*p.repeats));
  if (p.bpr) add("bpr", std::to_string(*p.bpr));
  if (p.volume) add("volume", format_double(*p.volume));
  if (p.backing_volume) add("backing_volume", format_double(*p.backing_volume));
  if (p.user_backing_volume) add("user_backing_volume", format_double(*p.user_backing_volume));
  if (p.track) add("track", *p.track);
  if (p.monitor) add("monitor", *p.monitor);
  if (p.unmonitor) add("unmonitor", *p.unmonitor);
  if (p.disable_auto_gain) add("disableAutoGain", *p.disable_auto_gain ? "1" : "0");
  if (p.disable_song_video) add("disableSongVideo", *p.disable_song_video ? "1" : "0");
  if (p.session_token) add("session_token", *p.session_token);
  for (const auto& e : p.extra) q.push_back(e);
  return q;
}

std::string exchange_query(const ExchangeParams& p) {
  const auto params = exchange_query_params(p);
  return build_query(params);
}

std::string exchange_target(const ExchangeParams& p, std::string_view path) {
  std::string out(path);
  out.push_back('?');
  out += exchange_query(p);
  return out;
}

std::string build_container(std::span<const Packet> packets) {
  if (packets.size() > 255) throw std::invalid_argument("more than 255 packets in a container");
  std::string out;
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(packets.size())));
  for (const auto& p : packets) {
    if (p.empty() || p.size() > 0xffff)
      throw std::invalid_argument("packet size must be 1..65535 bytes");
    put_u16(out, static_cast<std::uint16_t>(p.size()));
    out.append(reinterpret_cast<const char*>(p.data()), p.size());
  }
  return out;
}

std::string build_body(std::string_view json_prefix, std::span<const Packet> packets) {
  std::string out(json_prefix);
  if (!packets.empty()) out += build_container(packets);
  return out;
}

ParseStatus parse_json_object(std::string_view text, boost::json::object& out) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return ParseStatus::fail("invalid JSON (" + ec.message() + "): " + std::string(text));
  if (!v.is_object()) return ParseStatus::fail("JSON is not an object: " + std::string(text));
  out = std::move(v.as_object());
  return {};
}

ParseStatus get_int(const boost::json::object& obj, std::string_view key, std::int64_t& out) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return ParseStatus::fail("missing key '" + std::string(key) + "'");
  if (v->is_int64()) {
    out = v->get_int64();
    return {};
  }
  if (v->is_uint64() &&
      v->get_uint64() <= std::uint64_t{std::numeric_limits<std::int64_t>::max()}) {
    out = static_cast<std::int64_t>(v->get_uint64());
    return {};
  }
  return ParseStatus::fail("key '" + std::string(key) +
                           "' is not an integer: " + boost::json::serialize(*v));
}

ParseStatus parse_metadata_len(std::string_view header, std::size_t& out) {
  boost::json::object obj;
  if (auto s = parse_json_object(header, obj); !s.ok()) return s;
  std::int64_t n = 0;
  if (auto s = get_int(obj, "metadata_len", n); !s.ok()) return s;
  if (n < 0) return ParseStatus::fail("negative metadata_len");
  out = static_cast<std::size_t>(n);
  return {};
}

ParseStatus parse_summary(std::span<const std::uint8_t> bytes, std::vector<SummaryRecord>& out,
                          std::size_t& consumed) {
  out.clear();
  consumed = 0;
  if (bytes.size() < 2) return ParseStatus::fail("user summary: missing the 2-byte count");
  const std::size_t count = read_u16(bytes, 0);
  const std::size_t need = 2 + count * kSummaryRecordSize;
  if (bytes.size() < need)
    return ParseStatus::fail("user summary: " + std::to_string(count) + " records need " +
                             std::to_string(need) + " bytes, only " + std::to_string(bytes.size()) +
                             " left");
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = 2 + i * kSummaryRecordSize;
    SummaryRecord r;
    r.user_id = read_u64(bytes, at);
    const char* name = reinterpret_cast<const char*>(bytes.data() + at + 8);
    r.name.assign(name, strnlen(name, 32));
    r.mic_volume = std::bit_cast<float>(read_u32(bytes, at + 40));
    r.rms = std::bit_cast<float>(read_u32(bytes, at + 44));
    r.delay_seconds = read_u16(bytes, at + 48);
    r.flags = bytes[at + 50];
    out.push_back(std::move(r));
  }
  consumed = need;
  return {};
}

ParseStatus parse_container_packets(std::span<const std::uint8_t> bytes, std::vector<Packet>& out) {
  out.clear();
  if (bytes.empty()) return ParseStatus::fail("Opus container: empty (no count byte)");
  const std::size_t count = bytes[0];
  std::size_t pos = 1;
  for (std::size_t i = 0; i < count; ++i) {
    if (bytes.size() - pos < 2)
      return ParseStatus::fail("Opus container: truncated length of packet " + std::to_string(i));
    const std::size_t len = read_u16(bytes, pos);
    pos += 2;
    if (len == 0)
      return ParseStatus::fail("Opus container: packet " + std::to_string(i) + " is empty");
    if (bytes.size() - pos < len)
      return ParseStatus::fail("Opus container: packet " + std::to_string(i) + " claims " +
                               std::to_string(len) + " bytes, only " +
                               std::to_string(bytes.size() - pos) + " left");
    out.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                     bytes.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
  }
  if (pos != bytes.size())
    return ParseStatus::fail("Opus container: " + std::to_string(bytes.size() - pos) +
                             " bytes after the last packet");
  return {};
}

ParseStatus parse_clock_reply(std::string_view x_audio_metadata, ClockReply& out) {
  if (auto s = parse_json_object(x_audio_metadata, out.metadata); !s.ok()) return s;
  if (auto s = get_int(out.metadata, "server_clock", out.server_clock); !s.ok()) return s;
  return get_int(out.metadata, "server_sample_rate", out.server_sample_rate);
}

ParseStatus parse_status_reply(std::string_view x_audio_metadata, std::string_view body,
                               StatusReply& out) {
  std::size_t len = 0;
  if (auto s = parse_metadata_len(x_audio_metadata, len); !s.ok()) return s;
  if (len != body.size())
    return ParseStatus::fail("status: metadata_len " + std::to_string(len) + " but body has " +
                             std::to_string(body.size()) + " bytes");
  if (auto s = parse_json_object(body, out.body); !s.ok()) return s;
  if (auto s = get_int(out.body, "n_connected_users", out.n_connected_users); !s.ok()) return s;
  return get_int(out.body, "max_users", out.max_users);
}

ParseStatus parse_exchange_reply(std::string_view x_audio_metadata, std::string_view body,
                                 ExchangeReply& out) {
  if (auto s = parse_metadata_len(x_audio_metadata, out.metadata_len); !s.ok()) return s;
  if (out.metadata_len > body.size())
    return ParseStatus::fail("metadata_len " + std::to_string(out.metadata_len) +
                             " exceeds the body (" + std::to_string(body.size()) + " bytes)");
  if (auto s = parse_json_object(body.substr(0, out.metadata_len), out.metadata); !s.ok())
    return ParseStatus::fail("metadata: " + s.message);
  const auto& m = out.metadata;
  for (auto [key, field] : {std::pair{"server_clock", &out.server_clock},
                            std::pair{"client_read_clock", &out.client_read_clock},
                            std::pair{"n_samples", &out.n_samples}}) {
    if (auto s = get_int(m, key, *field); !s.ok())
      return ParseStatus::fail("metadata: " + s.message);
  }
  for (auto [key, field] : {std::pair{"song_start_clock", &out.song_start_clock},
                            std::pair{"song_end_clock", &out.song_end_clock}}) {
    *field = 0;
    const auto* v = m.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    if (auto s = get_int(m, key, *field); !s.ok())
      return ParseStatus::fail("metadata: " + s.message);
  }
  out.leader.reset();
  if (const auto* v = m.if_contains("leader"); v != nullptr && !v->is_null()) {
    if (v->is_string())
      out.leader = std::string(v->get_string());
    else if (v->is_int64() || v->is_uint64())
      out.leader = boost::json::serialize(*v);
    else
      return ParseStatus::fail("metadata: leader is neither a string nor null");
  }
  if (auto s = get_optional_int(m, "delay_seconds", out.delay_seconds); !s.ok()) return s;
  if (auto s = get_optional_int(m, "first_bucket", out.first_bucket); !s.ok()) return s;
  out.session_token.reset();
  if (const auto* v = m.if_contains("session_token"); v != nullptr && v->is_string()) {
    out.session_token = std::string(v->get_string());
  }

  const auto rest = as_bytes(body.substr(out.metadata_len));
  std::size_t consumed = 0;
  if (auto s = parse_summary(rest, out.summary, consumed); !s.ok()) return s;
  return parse_container_packets(rest.subspan(consumed), out.packets);
}

ParseStatus parse_error_header(std::string_view x_audio_metadata, ErrorReply& out) {
  boost::json::object obj;
  if (auto s = parse_json_object(x_audio_metadata, obj); !s.ok()) return s;
  const auto* kill = obj.if_contains("kill_client");
  if (kill == nullptr || !kill->is_bool())
    return ParseStatus::fail("kill_client missing or not a bool");
  out.kill_client = kill->get_bool();
  const auto* msg = obj.if_contains("message");
  if (msg == nullptr || !msg->is_string())
    return ParseStatus::fail("message missing or not a string");
  out.message = std::string(msg->get_string());
  return {};
}

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_f32(std::string& out, float v) {
  const auto bits = std::bit_cast<std::uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((bits >> shift) & 0xff));
}

}  // namespace brigade::client
