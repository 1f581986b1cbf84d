// brigade fuzzing: the reply encoders (binary user summary, JSON metadata), checked against
// independent parsers.
#include <algorithm>
#include <bit>
#include <boost/json.hpp>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "brigade/engine/user_summary.hpp"
#include "byte_reader.hpp"
#include "client/api_wire.hpp"
#include "fuzz_target.hpp"
#include "query.hpp"
#include "wire/exchange_reply.hpp"
#include "wire/user_summary.hpp"

namespace brigade::fuzz {
namespace {

namespace json = boost::json;

/// Most singers one input describes (the encoder's work grows with it).
constexpr std::uint8_t kMaxSingers = 24;

using Record = std::tuple<std::uint64_t, std::string, std::uint32_t, std::uint32_t, std::uint16_t,
                          std::uint8_t>;

void check_summary(ByteReader& in) {
  std::vector<std::string> names;
  std::vector<SummaryEntry> entries(in.take<std::uint8_t>() % (kMaxSingers + 1));
  names.reserve(entries.size());
  std::vector<Record> expected;
  for (auto& e : entries) {
    e.user_id = in.take<std::uint64_t>();
    names.emplace_back(in.take_string(80));
    e.name = names.back();
    // The room clamps console levels to [0, 2]; rms and delay may be anything.
    const float mic = in.take<float>();
    e.mic_volume = std::isfinite(mic) ? std::clamp(mic, 0.0f, 2.0f) : 1.0f;
    e.rms = in.take<float>();
    e.delay_samples = in.take<std::int64_t>();
    const auto flags = in.take<std::uint8_t>();
    e.muted = (flags & 1) != 0;
    e.soloed = (flags & 2) != 0;
    std::string name(truncate_utf8(e.name, server::wire::kSummaryNameBytes));
    name.resize(std::min(name.size(), name.find('\0')));  // the name field is NUL-padded
    expected.emplace_back(e.user_id, std::move(name), std::bit_cast<std::uint32_t>(e.mic_volume),
                          std::bit_cast<std::uint32_t>(e.rms),
                          summary_delay_seconds(e.delay_samples),
                          static_cast<std::uint8_t>((e.muted ? 1 : 0) | (e.soloed ? 2 : 0)));
  }
  std::string out;
  server::wire::encode_summary(entries, out);
  BRIGADE_FUZZ_CHECK(out.size() == 2 + entries.size() * server::wire::kSummaryRecordBytes);
  std::vector<client::SummaryRecord> parsed;
  std::size_t consumed = 0;
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(out.data()), out.size());
  BRIGADE_FUZZ_CHECK(client::parse_summary(bytes, parsed, consumed).ok());
  BRIGADE_FUZZ_CHECK(consumed == out.size() && parsed.size() == entries.size());
  std::vector<Record> got;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const auto& p = parsed[i];
    // Sorted by delay first, as the original lists buckets.
    if (i > 0) BRIGADE_FUZZ_CHECK(parsed[i - 1].delay_seconds <= p.delay_seconds);
    got.emplace_back(p.user_id, p.name, std::bit_cast<std::uint32_t>(p.mic_volume),
                     std::bit_cast<std::uint32_t>(p.rms), p.delay_seconds, p.flags);
  }
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  BRIGADE_FUZZ_CHECK(got == expected);
}

/// A string for the metadata: names, chats, lyrics and event ids are UTF-8 by the time they
/// reach a reply (the parsers refuse anything else).
std::string take_text(ByteReader& in, std::size_t max) {
  std::string s(in.take_string(max));
  if (!server::valid_utf8(s)) s.clear();
  return s;
}

template <class T>
std::optional<T> take_optional(ByteReader& in) {
  const T v = in.take<T>();
  if (in.take<std::uint8_t>() % 2 == 0) return std::nullopt;
  return v;
}

void check_int(const json::object& o, std::string_view key, std::int64_t v) {
  const auto* x = o.if_contains(key);
  BRIGADE_FUZZ_CHECK(x && x->is_int64() && x->get_int64() == v);
}

void check_double(const json::object& o, std::string_view key, const std::optional<double>& v) {
  if (!v) return BRIGADE_FUZZ_CHECK(!o.contains(key));
  const auto* x = o.if_contains(key);
  BRIGADE_FUZZ_CHECK(x != nullptr);
  if (!std::isfinite(*v)) return BRIGADE_FUZZ_CHECK(x->is_null());
  // The text is the shortest exact form (to_chars); Boost.JSON 1.81 reads it back to within
  // an ulp or two, not always exactly. Counted in ulps, not relative to the value: a subnormal's
  // ulp is a far larger part of it (one ulp of 4.4e-310 is 1.1e-14 of it, found by this target).
  BRIGADE_FUZZ_CHECK(x->is_double());
  const double got = x->get_double();
  const double ulp = std::nextafter(std::abs(*v), HUGE_VAL) - std::abs(*v);
  BRIGADE_FUZZ_CHECK(got == *v || std::abs(got - *v) <= std::max(std::abs(*v) * 1e-15, 4 * ulp));
}

void check_string(const json::object& o, std::string_view key,
                  const std::optional<std::string>& v) {
  if (!v) return BRIGADE_FUZZ_CHECK(!o.contains(key));
  const auto* x = o.if_contains(key);
  BRIGADE_FUZZ_CHECK(x && x->is_string() && x->get_string() == *v);
}

void check_metadata(ByteReader& in) {
  ExchangeResult r;
  r.server_clock = in.take<Clock>();
  r.last_request_clock = in.take<Clock>();
  r.client_read_clock = in.take<Clock>();
  r.client_write_clock = take_optional<Clock>(in);
  // The song as the room keeps it; on the wire 0 = none / not ended and 1 = halted.
  const Clock song_start = in.take<Clock>();
  const Clock song_end = in.take<Clock>();
  Clock wire_start = 0, wire_end = 0;
  switch (in.take<std::uint8_t>() % 4) {
    case 1:
      r.song.start_at(song_start);
      wire_start = song_start;
      break;
    case 2:
      r.song.start_at(song_start);
      r.song.end_at(song_end);
      wire_start = song_start;
      wire_end = song_end;
      break;
    case 3:
      r.song.halt();
      wire_start = wire_end = 1;
      break;
    default:
      break;
  }
  r.n_samples = in.take<Clock>();
  r.n_connected_users = in.take<int>();
  r.leader = take_optional<UserId>(in);
  r.n_people_heard = in.take<int>();
  auto events = std::make_shared<EventList>(in.take<std::uint8_t>() % 5);
  for (auto& e : *events) e = Event{take_text(in, 24), in.take<Clock>()};
  r.events = events;
  PendingKeys& d = r.delivered;
  d.chats.resize(in.take<std::uint8_t>() % 4);
  for (auto& [name, text] : d.chats) {
    name = take_text(in, 40);
    text = take_text(in, 80);
  }
  d.bpm = take_optional<int>(in);
  d.delay_seconds = take_optional<int>(in);
  d.global_volume = take_optional<double>(in);
  d.backing_volume = take_optional<double>(in);
  if (const auto flag = in.take<std::uint8_t>(); flag % 3 != 0)
    d.disable_song_video = flag % 3 == 1;
  if (in.take<std::uint8_t>() % 2) d.lyrics = take_text(in, 200);
  if (in.take<std::uint8_t>() % 2) d.image = take_text(in, 12);

  server::Adjustments adjusted(in.take<std::uint8_t>() % 3);
  for (auto& a : adjusted) a = {"chat", take_text(in, 60)};

  std::string out;
  server::wire::append_metadata(out, r, adjusted);
  boost::system::error_code ec;
  const json::value v = json::parse(out, ec);
  BRIGADE_FUZZ_CHECK(!ec && v.is_object());
  const json::object& o = v.get_object();
  check_int(o, "server_sample_rate", kSampleRate);
  check_int(o, "server_clock", r.server_clock);
  check_int(o, "last_request_clock", r.last_request_clock);
  check_int(o, "client_read_clock", r.client_read_clock);
  if (r.client_write_clock) {
    check_int(o, "client_write_clock", *r.client_write_clock);
  } else {
    BRIGADE_FUZZ_CHECK(o.at("client_write_clock").is_null());
  }
  check_int(o, "song_start_clock", wire_start);
  check_int(o, "song_end_clock", wire_end);
  check_int(o, "n_samples", r.n_samples);
  check_int(o, "n_connected_users", r.n_connected_users);
  check_int(o, "n_people_heard", r.n_people_heard);
  if (r.leader) {
    check_string(o, "leader", std::to_string(*r.leader));
  } else {
    BRIGADE_FUZZ_CHECK(o.at("leader").is_null());
  }
  const auto& ev = o.at("events").as_array();
  BRIGADE_FUZZ_CHECK(ev.size() == events->size());
  for (std::size_t i = 0; i < ev.size(); ++i) {
    check_string(ev[i].as_object(), "evid", (*events)[i].evid);
    check_int(ev[i].as_object(), "clock", (*events)[i].clock);
  }
  if (adjusted.empty()) {
    BRIGADE_FUZZ_CHECK(!o.contains("adjusted"));
  } else {
    const auto& adj = o.at("adjusted").as_array();
    BRIGADE_FUZZ_CHECK(adj.size() == adjusted.size());
    for (std::size_t i = 0; i < adj.size(); ++i) {
      check_string(adj[i].as_object(), "message", adjusted[i].message);
    }
  }
  const auto& chats = o.at("chats").as_array();
  BRIGADE_FUZZ_CHECK(chats.size() == d.chats.size());
  for (std::size_t i = 0; i < chats.size(); ++i) {
    const auto& pair = chats[i].as_array();
    BRIGADE_FUZZ_CHECK(pair.size() == 2 && pair[0].as_string() == d.chats[i].first &&
                       pair[1].as_string() == d.chats[i].second);
  }
  if (d.bpm) check_int(o, "bpm", *d.bpm);
  if (d.delay_seconds) check_int(o, "delay_seconds", *d.delay_seconds);
  check_double(o, "globalVolume", d.global_volume);
  check_double(o, "backingVolume", d.backing_volume);
  if (d.disable_song_video) {
    BRIGADE_FUZZ_CHECK(o.at("disableSongVideo").as_bool() == *d.disable_song_video);
  }
  check_string(o, "lyrics", d.lyrics);
  check_string(o, "image", d.image);
}

}  // namespace

Outcome reply_input(Input data) {
  ByteReader in(data);
  check_summary(in);
  check_metadata(in);
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
