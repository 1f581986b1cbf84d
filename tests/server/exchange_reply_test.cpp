// The wire encode of a reply: the metadata JSON text key by key (absent keys left out, ids as
// strings, doubles as doubles), the user summary block, the status reply and the announcements.
#include "wire/exchange_reply.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace brigade::server::wire {
namespace {

ExchangeResult minimal() {
  ExchangeResult r;
  r.server_clock = 1000;
  r.last_request_clock = 900;
  r.client_read_clock = 800;
  r.n_samples = 2880;
  r.n_connected_users = 1;
  return r;
}

TEST(WireEncode, MinimalMetadataHasEveryAlwaysPresentKeyInOrder) {
  std::string out;
  append_metadata(out, minimal(), {});
  EXPECT_EQ(out,
            "{\"server_sample_rate\": 48000, \"server_clock\": 1000, \"last_request_clock\": 900, "
            "\"client_read_clock\": 800, \"client_write_clock\": null, \"song_start_clock\": 0, "
            "\"song_end_clock\": 0, \"n_samples\": 2880, \"n_connected_users\": 1, "
            "\"queue_size\": 45000.0, \"leader\": null, \"n_people_heard\": 0, \"events\": [], "
            "\"chats\": []}");
}

TEST(WireEncode, FullMetadataWritesEveryOptionalKey) {
  ExchangeResult r = minimal();
  r.client_write_clock = 700;
  r.leader = 18446744073709551615ull;
  r.events = std::make_shared<const EventList>(EventList{{"e\"1", 5}, {"e2", 6}});
  PendingKeys& d = r.delivered;
  d.chats = {{"Ann", "hi"}, {"B", "x\ny"}};
  d.bpm = 96;
  d.repeats = 3;
  d.bpr = 4;
  d.first_bucket = 3;
  d.delay_seconds = 9;
  d.global_volume = 1.0;
  d.backing_volume = 0.75;
  d.disable_song_video = false;
  d.lyrics = "la";
  d.image = "";
  d.backing_track_type = "User Upload";
  r.tracks = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"a", "b"});
  r.summary_unchanged = true;
  r.summary_version = 12;
  const Adjustments adjusted{{"volume", "clamped"}};
  std::string out = "prefix:";
  append_metadata(out, r, adjusted, "tok");
  EXPECT_EQ(out,
            "prefix:{\"server_sample_rate\": 48000, \"server_clock\": 1000, "
            "\"last_request_clock\": 900, \"client_read_clock\": 800, \"client_write_clock\": 700, "
            "\"song_start_clock\": 0, \"song_end_clock\": 0, \"n_samples\": 2880, "
            "\"n_connected_users\": 1, \"queue_size\": 45000.0, "
            "\"leader\": \"18446744073709551615\", \"n_people_heard\": 0, "
            "\"events\": [{\"evid\": \"e\\\"1\", \"clock\": 5}, {\"evid\": \"e2\", \"clock\": 6}], "
            "\"chats\": [[\"Ann\", \"hi\"], [\"B\", \"x\\ny\"]], \"bpm\": 96, \"repeats\": 3, "
            "\"bpr\": 4, \"first_bucket\": 3, \"delay_seconds\": 9, \"globalVolume\": 1.0, "
            "\"backingVolume\": 0.75, \"disableSongVideo\": false, \"lyrics\": \"la\", "
            "\"image\": \"\", \"backing_track_type\": \"User Upload\", \"tracks\": [\"a\", \"b\"], "
            "\"user_summary_version\": 12, \"user_summary_unchanged\": true, "
            "\"adjusted\": [{\"param\": \"volume\", \"message\": \"clamped\"}], "
            "\"session_token\": \"tok\"}");
}

TEST(WireEncode, TheSummaryBlockIsAlwaysThere) {
  ExchangeResult r = minimal();
  std::string out;
  append_summary(out, nullptr);
  EXPECT_EQ(out, std::string("\0\0", 2));  // not asked: zero singers
  const std::string block = std::string("\0\1", 2) + std::string(51, 'x');
  out = "m";
  append_summary(out, &block);
  EXPECT_EQ(out, "m" + block);
}

TEST(WireEncode, StatusAndAnnouncements) {
  std::string out;
  append_status(out, RoomStatus{.n_connected_users = 2, .max_users = 5}, "");
  EXPECT_EQ(out, R"({"n_connected_users": 2, "max_users": 5})");
  out.clear();
  append_status(out, RoomStatus{.n_connected_users = 0, .max_users = 1}, "Choir \"A\"");
  EXPECT_EQ(out, R"({"n_connected_users": 0, "max_users": 1, "instance_name": "Choir \"A\""})");
  EXPECT_EQ(metadata_header(847), R"({"metadata_len": 847})");
  EXPECT_EQ(error_metadata("bad\tthing"), R"({"kill_client": true, "message": "bad\tthing"})");
}

}  // namespace
}  // namespace brigade::server::wire
