// brigade: the exchange reply's bytes.
#include "wire/exchange_reply.hpp"

#include <charconv>

#include "wire/json_writer.hpp"
#include "wire/song_clocks.hpp"

namespace brigade::server::wire {
namespace {

/// Summary bytes when none is sent: a count of zero singers.
constexpr std::string_view kNoSummary("\0\0", 2);

void write_clocks(JsonWriter& w, const ExchangeResult& r) {
  w.key("server_sample_rate").integer(kSampleRate);
  w.key("server_clock").integer(r.server_clock);
  w.key("last_request_clock").integer(r.last_request_clock);
  w.key("client_read_clock").integer(r.client_read_clock);
  w.key("client_write_clock");
  r.client_write_clock ? w.integer(*r.client_write_clock) : w.null();
  w.key("song_start_clock").integer(song_start_clock(r.song));
  w.key("song_end_clock").integer(song_end_clock(r.song));
  w.key("n_samples").integer(r.n_samples);
}

void write_room(JsonWriter& w, const ExchangeResult& r) {
  w.key("n_connected_users").integer(r.n_connected_users);
  w.key("queue_size").number(static_cast<double>(kRingFrames));
  w.key("leader");
  if (r.leader) {
    char id[24];  // user ids use all 64 bits: sent as a string
    const auto [end, ec] = std::to_chars(id, id + sizeof id, *r.leader);
    w.string(std::string_view(id, static_cast<std::size_t>(end - id)));
  } else {
    w.null();
  }
  w.key("n_people_heard").integer(r.n_people_heard);
  w.key("events").begin_array();
  if (r.events) {
    for (const auto& e : *r.events) {
      w.begin_object().key("evid").string(e.evid).key("clock").integer(e.clock).end_object();
    }
  }
  w.end_array();
}

/// The keys queued for this singer, each written only when present.
void write_delivered(JsonWriter& w, const PendingKeys& d) {
  w.key("chats").begin_array();
  for (const auto& [sender, text] : d.chats)
    w.begin_array().string(sender).string(text).end_array();
  w.end_array();
  auto integer = [&](std::string_view key, const std::optional<int>& v) {
    if (v) w.key(key).integer(*v);
  };
  auto number = [&](std::string_view key, const std::optional<double>& v) {
    if (v) w.key(key).number(*v);
  };
  auto string = [&](std::string_view key, const std::optional<std::string>& v) {
    if (v) w.key(key).string(*v);
  };
  integer("bpm", d.bpm);
  integer("repeats", d.repeats);
  integer("bpr", d.bpr);
  integer("first_bucket", d.first_bucket);
  integer("delay_seconds", d.delay_seconds);
  number("globalVolume", d.global_volume);
  number("backingVolume", d.backing_volume);
  if (d.disable_song_video) w.key("disableSongVideo").boolean(*d.disable_song_video);
  string("lyrics", d.lyrics);
  string("image", d.image);
  string("backing_track_type", d.backing_track_type);
}

void write_listing(JsonWriter& w, const ExchangeResult& r) {
  if (r.tracks) {
    w.key("tracks").begin_array();
    for (const auto& t : *r.tracks) w.string(t);
    w.end_array();
  }
  if (r.summary || r.summary_unchanged) {
    w.key("user_summary_version").unsigned_integer(r.summary_version);
    if (r.summary_unchanged) w.key("user_summary_unchanged").boolean(true);
  }
}

}  // namespace

void append_metadata(std::string& out, const ExchangeResult& r, const Adjustments& adjusted,
                     std::string_view session_token) {
  JsonWriter w(out);
  w.begin_object();
  write_clocks(w, r);
  write_room(w, r);
  write_delivered(w, r.delivered);
  write_listing(w, r);
  if (!adjusted.empty()) {
    w.key("adjusted").begin_array();
    for (const auto& a : adjusted) {
      w.begin_object().key("param").string(a.param).key("message").string(a.message).end_object();
    }
    w.end_array();
  }
  if (!session_token.empty()) w.key("session_token").string(session_token);
  w.end_object();
}

void append_summary(std::string& out, const std::string* block) {
  out += block ? std::string_view(*block) : kNoSummary;
}

void append_status(std::string& out, const RoomStatus& status, std::string_view instance_name) {
  JsonWriter w(out);
  w.begin_object();
  w.key("n_connected_users").integer(status.n_connected_users);
  w.key("max_users").integer(status.max_users);
  if (!instance_name.empty()) w.key("instance_name").string(instance_name);
  w.end_object();
}

std::string metadata_header(std::size_t metadata_len) {
  std::string out;
  JsonWriter(out).begin_object().key("metadata_len").unsigned_integer(metadata_len).end_object();
  return out;
}

std::string error_metadata(std::string_view message) {
  std::string out;
  JsonWriter(out)
      .begin_object()
      .key("kill_client")
      .boolean(true)
      .key("message")
      .string(message)
      .end_object();
  return out;
}

}  // namespace brigade::server::wire
