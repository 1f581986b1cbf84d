// brigade: the exchange reply's JSON metadata.
#include "reply_metadata.hpp"

#include "api_response.hpp"
#include "wire/song_clocks.hpp"

namespace brigade::server {
namespace {

void append_key(std::string& out, std::string_view key) {
  out += ", ";
  append_json_string(out, key);
  out += ": ";
}

/// "adjusted": [{"param": …, "message": …}] when the request had values brought within bounds.
void append_adjusted(std::string& out, const Adjustments& adjusted) {
  if (adjusted.empty()) return;
  append_key(out, "adjusted");
  out += "[";
  for (std::size_t i = 0; i < adjusted.size(); ++i) {
    out += i ? ", {\"param\": " : "{\"param\": ";
    append_json_string(out, adjusted[i].param);
    out += ", \"message\": ";
    append_json_string(out, adjusted[i].message);
    out += "}";
  }
  out += "]";
}

}  // namespace

void append_reply_metadata(std::string& out, const ExchangeResult& r, const Adjustments& adjusted,
                           std::string_view session_token) {
  auto int_field = [&](std::string_view key, long long v) {
    append_key(out, key);
    append_json_int(out, v);
  };
  out += "{\"server_sample_rate\": ";
  append_json_int(out, kSampleRate);
  int_field("server_clock", r.server_clock);
  int_field("last_request_clock", r.last_request_clock);
  int_field("client_read_clock", r.client_read_clock);
  if (r.client_write_clock) {
    int_field("client_write_clock", *r.client_write_clock);
  } else {
    append_key(out, "client_write_clock");
    out += "null";
  }
  int_field("song_start_clock", wire::song_start_clock(r.song));
  int_field("song_end_clock", wire::song_end_clock(r.song));
  int_field("n_samples", r.n_samples);
  int_field("n_connected_users", r.n_connected_users);
  append_key(out, "queue_size");
  append_json_double(out, static_cast<double>(kRingFrames));
  append_key(out, "leader");
  if (r.leader) {
    out.push_back('"');
    append_json_uint(out, *r.leader);  // user ids use all 64 bits
    out.push_back('"');
  } else {
    out += "null";
  }
  int_field("n_people_heard", r.n_people_heard);
  append_key(out, "events");
  out += "[";
  if (r.events) {
    bool first = true;
    for (const auto& e : *r.events) {
      out += first ? "{\"evid\": " : ", {\"evid\": ";
      first = false;
      append_json_string(out, e.evid);
      out += ", \"clock\": ";
      append_json_int(out, e.clock);
      out += "}";
    }
  }
  out += "]";
  const PendingKeys& d = r.delivered;
  append_key(out, "chats");
  out += "[";
  for (std::size_t i = 0; i < d.chats.size(); ++i) {
    out += i ? ", [" : "[";
    append_json_string(out, d.chats[i].first);
    out += ", ";
    append_json_string(out, d.chats[i].second);
    out += "]";
  }
  out += "]";
  auto int_key = [&](std::string_view key, const std::optional<int>& v) {
    if (v) int_field(key, *v);
  };
  auto double_key = [&](std::string_view key, const std::optional<double>& v) {
    if (!v) return;
    append_key(out, key);
    append_json_double(out, *v);
  };
  auto string_key = [&](std::string_view key, const std::optional<std::string>& v) {
    if (!v) return;
    append_key(out, key);
    append_json_string(out, *v);
  };
  int_key("bpm", d.bpm);
  int_key("repeats", d.repeats);
  int_key("bpr", d.bpr);
  int_key("first_bucket", d.first_bucket);
  int_key("delay_seconds", d.delay_seconds);
  double_key("globalVolume", d.global_volume);
  double_key("backingVolume", d.backing_volume);
  if (d.disable_song_video) {
    append_key(out, "disableSongVideo");
    out += *d.disable_song_video ? "true" : "false";
  }
  string_key("lyrics", d.lyrics);
  string_key("image", d.image);
  string_key("backing_track_type", d.backing_track_type);
  if (r.tracks) {
    append_key(out, "tracks");
    out += "[";
    for (std::size_t i = 0; i < r.tracks->size(); ++i) {
      if (i) out += ", ";
      append_json_string(out, (*r.tracks)[i]);
    }
    out += "]";
  }
  if (r.summary || r.summary_unchanged) {
    append_key(out, "user_summary_version");
    append_json_uint(out, r.summary_version);
    if (r.summary_unchanged) {
      append_key(out, "user_summary_unchanged");
      out += "true";
    }
  }
  append_adjusted(out, adjusted);
  if (!session_token.empty()) {
    append_key(out, "session_token");
    append_json_string(out, session_token);
  }
  out += "}";
}

}  // namespace brigade::server
