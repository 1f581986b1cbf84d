#include "debug_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace brigade::server {
namespace {

namespace json = boost::json;

// An arbitrary frame-aligned start: 1000 s after the epoch, 8 rings and 1.92 M samples in.
constexpr Clock kStart = Clock{1000} * kSampleRate;
constexpr Clock kN = kOpusFrameSamples;  // one 60 ms exchange

std::vector<std::uint8_t> decode_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = value(c);
    EXPECT_GE(v, 0) << "not base64: " << c;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  return out;
}

/// The set of ring frames the JSON bitmap marks occupied.
std::set<Clock> frames_in_bitmap(const json::object& occupancy) {
  const auto bytes = decode_base64(occupancy.at("bits_base64").as_string());
  EXPECT_EQ(bytes.size(), 5625u);
  std::set<Clock> frames;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      if ((bytes[i] >> b) & 1) frames.insert(static_cast<Clock>(i * 8 + b));
    }
  }
  return frames;
}

/// The set of ring frames the JSON runs cover.
std::set<Clock> frames_in_runs(const json::object& occupancy) {
  std::set<Clock> frames;
  for (const auto& r : occupancy.at("runs").as_array()) {
    const auto first = r.as_array().at(0).to_number<Clock>();
    const auto length = r.as_array().at(1).to_number<Clock>();
    EXPECT_GT(length, 0);
    for (Clock f = first; f < first + length; ++f) frames.insert(f);
  }
  return frames;
}

/// A request of one 60 ms interval ending at read_clock, no upload.
ExchangeRequest request(UserId id, const char* name, Clock read_clock) {
  ExchangeRequest req;
  req.user_id = id;
  req.name = name;
  req.read_clock = read_clock;
  req.n_samples = kN;
  return req;
}

std::vector<Clock> window(const json::value& v) {
  return {v.as_array().at(0).to_number<Clock>(), v.as_array().at(1).to_number<Clock>()};
}

const json::object& singer(const json::object& state, std::string_view id) {
  for (const auto& s : state.at("singers").as_array()) {
    if (s.as_object().at("id").as_string() == id) return s.as_object();
  }
  ADD_FAILURE() << "no singer " << id;
  static const json::object none;
  return none;
}

class DebugStateTest : public ::testing::Test {
 protected:
  /// One exchange; `block` (kN samples) is uploaded at write_clock when given.
  void exchange(const ExchangeRequest& req, const std::vector<float>& block = {}) {
    std::vector<float> upload = block.empty() ? std::vector<float>(kN, 0.0f) : block;
    ExchangeResult result;
    const auto outcome = room->exchange(req, upload, {audio, backing, writers}, result);
    ASSERT_TRUE(outcome.ok()) << static_cast<int>(outcome.reason);
  }

  /// Uploads `block` at write clock w as user `id`, recording which frames it makes loud.
  void write(UserId id, Clock read_clock, Clock w, const std::vector<float>& block) {
    ExchangeRequest req = request(id, "writer", read_clock);
    req.write_clock = w;
    req.reset_user_state = true;
    exchange(req, block);
    for (Clock i = 0; i < kN; ++i) {
      if (block[i] != 0.0f) written.insert(frame_of(w - kN + i));
    }
  }

  json::object state(double rps = 0.0) {
    RoomSnapshot snap;
    room->snapshot(snap);
    return json::parse(debug_state_json(snap, rps)).as_object();
  }

  ManualSampleClock clock{kStart};
  std::unique_ptr<Room> room = std::make_unique<Room>(clock, RoomConfig{.seed = 1});
  std::vector<float> audio = std::vector<float>(kN);
  std::vector<float> backing = std::vector<float>(kN);
  std::vector<WriterCount> writers = std::vector<WriterCount>(kN);
  std::set<Clock> written;  ///< ring frames that received non-silent samples
};

TEST_F(DebugStateTest, EmptyRoomHasFixedGeometryAndNoCursor) {
  RoomSnapshot snap;
  room->snapshot(snap);
  const auto o = json::parse(debug_state_json(snap, 2.5)).as_object();
  EXPECT_EQ(o.at("server_clock").to_number<Clock>(), kStart);
  EXPECT_EQ(o.at("server_sample_rate").to_number<int>(), 48000);
  EXPECT_TRUE(o.at("cleared_to").is_null());
  EXPECT_EQ(o.at("frame_samples").to_number<int>(), 128);
  EXPECT_EQ(o.at("ring_frames").to_number<int>(), 45000);
  EXPECT_EQ(o.at("ring_samples").to_number<Clock>(), 5760000);
  EXPECT_DOUBLE_EQ(o.at("requests_per_second").to_number<double>(), 2.5);
  EXPECT_EQ(o.at("n_active_singers").to_number<int>(), 0);
  EXPECT_TRUE(o.at("singers").as_array().empty());
  const auto& occ = o.at("occupancy").as_object();
  EXPECT_TRUE(frames_in_bitmap(occ).empty());
  EXPECT_TRUE(occ.at("runs").as_array().empty());
  EXPECT_EQ(occ.at("occupied_frames").to_number<int>(), 0);
}

TEST_F(DebugStateTest, BitmapRunsAndWindowsFollowWritesAndClearing) {
  // The leader takes the lead and starts the song 10 s back, so later writes fall inside it.
  const Clock song_start = kStart - 10 * kSampleRate;
  {
    ExchangeRequest lead = request(1, "Lead", song_start);
    lead.controls.request_lead = true;
    lead.controls.mark_start_singing = true;
    exchange(lead);
  }
  clock.advance(kN);

  // Three uploads at known past clocks: a loud block not frame-aligned (2880 = 22.5 frames), one
  // whose first 1280 samples (10 frames) are silent, and one with a single loud sample.
  std::vector<float> loud(kN, 0.25f);
  std::vector<float> half(kN, -0.5f);
  std::fill(half.begin(), half.begin() + 1280, 0.0f);
  std::vector<float> spike(kN, 0.0f);
  spike[1000] = 1.0f;
  const Clock w1 = kStart - 8 * kSampleRate + 64;
  const Clock w2 = kStart - 5 * kSampleRate;
  const Clock w3 = kStart - 2 * kSampleRate;
  write(2, kStart - 3 * kSampleRate, w1, loud);
  write(3, kStart - 6 * kSampleRate, w2, half);
  write(4, kStart - 6 * kSampleRate, w3, spike);
  {
    ExchangeRequest listener = request(5, "Ear", kStart - 9 * kSampleRate);
    listener.spectator = true;
    exchange(listener);
  }

  auto o = state(1.0);
  EXPECT_EQ(o.at("server_clock").to_number<Clock>(), kStart + kN);
  EXPECT_EQ(o.at("cleared_to").to_number<Clock>(), kStart + kN);
  EXPECT_EQ(o.at("song_start_clock").to_number<Clock>(), song_start);
  EXPECT_EQ(o.at("song_end_clock").to_number<Clock>(), 0);
  EXPECT_EQ(o.at("first_bucket").to_number<int>(), 3);
  {
    const auto& occ = o.at("occupancy").as_object();
    EXPECT_EQ(occ.at("clock").to_number<Clock>(), kStart + kN);
    ASSERT_EQ(written.size(), 23u + 13u + 1u);  // 2880 at offset 64: 23 frames; 1600: 13; 1
    EXPECT_EQ(frames_in_bitmap(occ), written);
    EXPECT_EQ(frames_in_runs(occ), written);
    EXPECT_EQ(occ.at("runs").as_array().size(), 3u);
    EXPECT_EQ(occ.at("occupied_frames").to_number<std::size_t>(), written.size());
  }

  EXPECT_EQ(o.at("n_active_singers").to_number<int>(), 5);
  const auto& lead = singer(o, "1");
  EXPECT_EQ(lead.at("name").as_string(), "Lead");
  EXPECT_TRUE(lead.at("leader").as_bool());
  EXPECT_EQ(window(lead.at("read_window")), (std::vector<Clock>{song_start - kN, song_start}));
  EXPECT_TRUE(lead.at("write_window").is_null());
  const auto& second = singer(o, "2");
  EXPECT_FALSE(second.at("leader").as_bool());
  EXPECT_EQ(window(second.at("write_window")), (std::vector<Clock>{w1 - kN, w1}));
  EXPECT_EQ(window(second.at("read_window")),
            (std::vector<Clock>{kStart - 3 * kSampleRate - kN, kStart - 3 * kSampleRate}));
  // Delay is measured at the request: now = kStart + kN, read 3 s before kStart.
  EXPECT_DOUBLE_EQ(second.at("delay_seconds").to_number<double>(),
                   3.0 + static_cast<double>(kN) / kSampleRate);
  EXPECT_EQ(second.at("bucket").to_number<int>(), 0);  // round((3.06 - 3) / 3)
  EXPECT_GT(second.at("rms").to_number<double>(), 0.2);
  EXPECT_EQ(singer(o, "3").at("bucket").to_number<int>(), 1);  // 6.06 s
  EXPECT_EQ(window(singer(o, "4").at("write_window")), (std::vector<Clock>{w3 - kN, w3}));
  const auto& ear = singer(o, "5");
  EXPECT_TRUE(ear.at("spectator").as_bool());
  EXPECT_TRUE(ear.at("write_window").is_null());
  EXPECT_EQ(ear.at("bucket").to_number<int>(), 2);  // 9.06 s

  // 120 s after w1 (but not w2) has passed: the clearing removed exactly the first block.
  clock.set(w1 + kRingSamples + kN);
  {
    ExchangeRequest probe = request(9, "Probe", w1 + kRingSamples);
    exchange(probe);
  }
  o = state();
  {
    std::set<Clock> left;
    for (Clock f : written) {
      if (f < frame_of(w1 - kN) || f > frame_of(w1 - 1)) left.insert(f);
    }
    ASSERT_EQ(left.size(), 14u);
    const auto& occ = o.at("occupancy").as_object();
    EXPECT_EQ(frames_in_bitmap(occ), left);
    EXPECT_EQ(frames_in_runs(occ), left);
  }
  // The old singers went quiet more than 5 s ago: only the probe is active.
  EXPECT_EQ(o.at("n_active_singers").to_number<int>(), 1);
  EXPECT_EQ(o.at("singers").as_array().at(0).as_object().at("id").as_string(), "9");

  // Past 120 s after every write: nothing is left.
  clock.set(w3 + kRingSamples + kN);
  {
    ExchangeRequest probe = request(9, "Probe", w3 + kRingSamples);
    probe.reset_user_state = true;
    exchange(probe);
  }
  o = state();
  const auto& occ = o.at("occupancy").as_object();
  EXPECT_TRUE(frames_in_bitmap(occ).empty());
  EXPECT_TRUE(occ.at("runs").as_array().empty());
  EXPECT_EQ(occ.at("occupied_frames").to_number<int>(), 0);
  EXPECT_EQ(occ.at("clock").to_number<Clock>(), w3 + kRingSamples + kN);
}

TEST_F(DebugStateTest, CompactFormCarriesTheSameSingersBucketsAndProblems) {
  write(2, kStart - 6 * kSampleRate, kStart - 7 * kSampleRate, std::vector<float>(kN, 0.25f));
  write(3, kStart - 3 * kSampleRate, kStart - 4 * kSampleRate, std::vector<float>(kN, 0.25f));
  RoomSnapshot snap;
  room->snapshot(snap);
  ASSERT_EQ(snap.singers.size(), 2u);
  std::vector<SingerAssessment> health(2);
  health[1].problems = 1u << static_cast<int>(Problem::kMiscalibrated);
  health[1].offset_from_peers_ms = 412.0f;
  ProblemCounts counts{};
  counts[static_cast<std::size_t>(Problem::kMiscalibrated)] = 1;

  const auto full = json::parse(debug_state_json(snap, 0, health, counts)).as_object();
  const auto compact =
      json::parse(debug_state_json(snap, 0, health, counts, DebugFormat::kCompact)).as_object();
  EXPECT_EQ(compact.at("format").as_string(), "compact");
  for (const auto* o : {&full, &compact}) {
    EXPECT_EQ(o->at("problem_counts").at("miscalibrated").to_number<int>(), 1);
    EXPECT_EQ(o->at("problem_counts").at("late").to_number<int>(), 0);
    // Buckets as the singer page numbers them, 1–6, with delays from the server's first bucket.
    const auto& buckets = o->at("buckets").as_array();
    ASSERT_EQ(buckets.size(), 6u);
    EXPECT_EQ(buckets.at(0).at("number").to_number<int>(), 1);
    EXPECT_EQ(buckets.at(0).at("delay_seconds").to_number<int>(), 3);
    EXPECT_EQ(buckets.at(1).at("delay_seconds").to_number<int>(), 6);
    EXPECT_EQ(buckets.at(0).at("singers").to_number<int>(), 1);
    EXPECT_EQ(buckets.at(1).at("singers").to_number<int>(), 1);
    EXPECT_EQ(buckets.at(2).at("singers").to_number<int>(), 0);
    EXPECT_TRUE(buckets.at(2).at("median_delay_seconds").is_null());
  }
  const auto& flagged = singer(full, std::to_string(snap.singers[1].id));
  EXPECT_EQ(flagged.at("problems").as_array(), (json::array{"miscalibrated"}));
  EXPECT_EQ(flagged.at("health").at("offset_from_peers_ms").to_number<int>(), 412);
  EXPECT_EQ(flagged.at("bucket_number").to_number<int>(),
            flagged.at("bucket").to_number<int>() + 1);

  // Compact rows: one array per singer in the declared field order, clocks as samples ago.
  const auto& fields = compact.at("singer_fields").as_array();
  const auto& rows = compact.at("singers").as_array();
  ASSERT_EQ(rows.size(), 2u);
  auto field = [&](const json::array& row, std::string_view name) -> const json::value& {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].as_string() == name) return row.at(i);
    }
    ADD_FAILURE() << "no field " << name;
    return row.at(0);
  };
  const Clock now = compact.at("server_clock").to_number<Clock>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i].as_array();
    ASSERT_EQ(row.size(), fields.size());
    const auto& obj = singer(full, field(row, "id").as_string());
    EXPECT_EQ(field(row, "name").as_string(), obj.at("name").as_string());
    EXPECT_EQ(field(row, "bucket").to_number<int>(), obj.at("bucket").to_number<int>());
    const auto w = window(obj.at("write_window"));
    EXPECT_EQ(now - field(row, "write_begin_ago").to_number<Clock>(), w[0]);
    EXPECT_EQ(now - field(row, "write_end_ago").to_number<Clock>(), w[1]);
    const auto r = window(obj.at("read_window"));
    EXPECT_EQ(now - field(row, "read_end_ago").to_number<Clock>(), r[1]);
  }
  EXPECT_EQ(field(rows[1].as_array(), "problems").to_number<int>(),
            1 << static_cast<int>(Problem::kMiscalibrated));
  // Compact is the smaller form.
  EXPECT_LT(json::serialize(compact).size(), json::serialize(full).size());
}

}  // namespace
}  // namespace brigade::server
