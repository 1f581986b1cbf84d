// The debug stream's deltas: a viewer that applies a whole state and then every delta as the
// README says ends up with exactly the whole compact state, while a delta carries only the
// bitmap words and the singers that changed (and the ids gone); and when a viewer gets which.
#include "debug_delta.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "debug_state.hpp"

namespace brigade::server {
namespace {

namespace json = boost::json;

constexpr Clock kStart = Clock{1000} * kSampleRate;
constexpr Clock kStep = kSampleRate / 10;  // 100 ms between states, as the stream

SingerView singer(UserId id, const char* name, Clock delay, Clock now) {
  SingerView s;
  s.id = id;
  s.name = name;
  s.delay_samples = delay;
  s.read_window = {now - delay - 28'800, now - delay};
  s.write_window = Interval{now - delay - 36'000, now - delay - 7'200};
  s.rms = 0.1f;
  return s;
}

/// What a viewer holds: the top-level object, its bitmap words and its singers' rows by id
/// (the rows' absolute windows: "ago" numbers are relative to each message's own clock).
struct Viewer {
  json::object top;
  std::array<std::uint64_t, kOccupancyWords> words{};
  std::map<std::string, json::array> rows;

  static json::array absolute(json::array row, Clock now) {
    for (std::size_t k = 4; k < 8; ++k) {
      if (!row[k].is_null()) row[k] = now - row[k].to_number<Clock>();
    }
    row[16] = 0;  // since_last_s moves with the clock; a delta does not resend it alone
    return row;
  }

  void apply(const json::object& m) {
    const Clock now = m.at("server_clock").to_number<Clock>();
    if (m.at("format").as_string() == "compact") {
      rows.clear();
      for (const auto& r : m.at("singers").as_array()) {
        rows[std::string(r.as_array()[0].as_string())] = absolute(r.as_array(), now);
      }
      words = {};
      const std::string_view b64 = m.at("occupancy").at("bits_base64").as_string();
      static constexpr std::string_view kAlphabet =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::uint32_t acc = 0;
      int bits = 0;
      std::size_t byte = 0;
      for (char c : b64) {
        if (c == '=') break;
        acc = acc << 6 | static_cast<std::uint32_t>(kAlphabet.find(c));
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          words[byte / 8] |= std::uint64_t{(acc >> bits) & 255} << (8 * (byte % 8));
          ++byte;
        }
      }
    } else {
      ASSERT_EQ(m.at("format").as_string(), "delta");
      for (const auto& w : m.at("occupancy").at("words").as_array()) {
        const auto& a = w.as_array();
        words[a[0].to_number<std::size_t>()] =
            a[1].to_number<std::uint64_t>() | a[2].to_number<std::uint64_t>() << 32;
      }
      for (const auto& r : m.at("singers").as_array()) {
        rows[std::string(r.as_array()[0].as_string())] = absolute(r.as_array(), now);
      }
      for (const auto& id : m.at("gone").as_array()) rows.erase(std::string(id.as_string()));
    }
    top = m;
  }
};

class DebugDeltaTest : public ::testing::Test {
 protected:
  /// The next link of the chain for the current snapshot: the viewer gets the whole state the
  /// first time, then deltas; checked against the whole compact state of the same snapshot.
  json::object step() {
    const std::string whole_text = debug_state_json(snap, 12.5, {}, {}, DebugFormat::kCompact);
    const std::string delta_text = encoder.delta(snap, 12.5, {}, {});
    const json::object m = json::parse(first ? whole_text : delta_text).as_object();
    first = false;
    viewer.apply(m);
    Viewer whole;
    whole.apply(json::parse(whole_text).as_object());
    EXPECT_EQ(viewer.words, whole.words);
    EXPECT_EQ(viewer.rows, whole.rows);
    for (const char* k : {"server_clock", "cleared_to", "n_active_singers", "buckets",
                          "problem_counts", "song_start_clock", "first_bucket"}) {
      EXPECT_EQ(m.at(k), whole.top.at(k)) << k;
    }
    EXPECT_EQ(m.at("occupancy").at("occupied_frames"),
              whole.top.at("occupancy").at("occupied_frames"));
    return m;
  }
  void tick() {
    snap.server_clock += kStep;
    snap.cleared_to = snap.server_clock - 2'000;
  }

  RoomSnapshot snap = [] {
    RoomSnapshot s;
    s.server_clock = kStart;
    return s;
  }();
  DebugDeltaEncoder encoder;
  Viewer viewer;
  bool first = true;
};

TEST_F(DebugDeltaTest, FirstWholeThenOnlyWhatChanged) {
  snap.singers = {singer(1, "Ada", 3 * kSampleRate, kStart),
                  singer(2, "Ben", 6 * kSampleRate, kStart)};
  snap.occupancy.words[10] = 0xff;
  EXPECT_EQ(step().at("format").as_string(), "compact");

  // Only the clock moved: an empty delta.
  tick();
  json::object m = step();
  EXPECT_EQ(m.at("format").as_string(), "delta");
  EXPECT_TRUE(m.at("occupancy").at("words").as_array().empty());
  EXPECT_TRUE(m.at("singers").as_array().empty());
  EXPECT_TRUE(m.at("gone").as_array().empty());

  // A word changed (high half too), Ada's windows moved, Ben left, Cleo came.
  tick();
  snap.occupancy.words[10] = 0xffff'0000'0000'00ffULL;
  snap.occupancy.words[700] = 1;
  snap.singers[0] = singer(1, "Ada", 3 * kSampleRate, snap.server_clock);
  snap.singers[1] = singer(3, "Cleo", 9 * kSampleRate, snap.server_clock);
  m = step();
  const auto& words = m.at("occupancy").at("words").as_array();
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0], (json::array{10, 0xff, 0xffff0000}));
  EXPECT_EQ(words[1], (json::array{700, 1, 0}));
  ASSERT_EQ(m.at("singers").as_array().size(), 2u);
  EXPECT_EQ(m.at("singers").as_array()[0].as_array()[1].as_string(), "Ada");
  EXPECT_EQ(m.at("singers").as_array()[1].as_array()[1].as_string(), "Cleo");
  EXPECT_EQ(m.at("gone"), (json::array{"2"}));
  EXPECT_EQ(m.at("occupancy").at("run_count").to_number<int>(), 3);

  // A level change alone is a change; the clock moving alone is not.
  tick();
  snap.singers[1].rms = 0.5f;
  m = step();
  ASSERT_EQ(m.at("singers").as_array().size(), 1u);
  EXPECT_EQ(m.at("singers").as_array()[0].as_array()[1].as_string(), "Cleo");
}

TEST_F(DebugDeltaTest, ASingerThatStopsSendingIsResentOnceASecond) {
  snap.singers = {singer(1, "Ada", 3 * kSampleRate, kStart),
                  singer(2, "Ben", 6 * kSampleRate, kStart)};
  std::vector<SingerAssessment> health(2);
  auto next = [&] { return json::parse(encoder.delta(snap, 0, health, {})).as_object(); };
  next();
  std::vector<int> resent;  // messages in which Ben was resent
  for (int i = 1; i <= 25; ++i) {
    tick();
    health[1].since_last_s = 0.1f * static_cast<float>(i);      // Ben is silent for 2.5 s
    health[0].since_last_s = 0.1f * static_cast<float>(i % 6);  // Ada sends every 600 ms
    const json::object m = next();
    ASSERT_EQ(m.at("format").as_string(), "delta");
    for (const auto& r : m.at("singers").as_array()) {
      EXPECT_EQ(r.as_array()[1].as_string(), "Ben");
      resent.push_back(i);
    }
  }
  EXPECT_EQ(resent, (std::vector<int>{10, 20}));
}

TEST(DebugStreamCursor, WholeFirstAfterAGapAndEveryFiftyElseDeltas) {
  DebugStreamCursor c;
  EXPECT_EQ(c.next(7), DebugStreamSend::kWhole);    // a viewer's first message
  EXPECT_EQ(c.next(7), DebugStreamSend::kNothing);  // no newer link yet
  EXPECT_EQ(c.next(8), DebugStreamSend::kDelta);
  EXPECT_EQ(c.next(10), DebugStreamSend::kWhole);  // it missed link 9
  int whole = 0;
  for (std::uint64_t link = 11; link < 11 + 2 * kDebugDeltaWholeEvery; ++link) {
    if (c.next(link) == DebugStreamSend::kWhole) {
      EXPECT_EQ(link, 10 + kDebugDeltaWholeEvery * (whole + 1)) << link;
      ++whole;
    }
  }
  EXPECT_EQ(whole, 2);
}

TEST_F(DebugDeltaTest, ADeltaOfAThousandSingersIsSmall) {
  for (UserId id = 1; id <= 1000; ++id) {
    snap.singers.push_back(
        singer(id, "Singer", (3 + 3 * static_cast<Clock>(id % 6)) * kSampleRate, kStart));
  }
  const std::size_t whole = debug_state_json(snap, 0, {}, {}, DebugFormat::kCompact).size();
  encoder.delta(snap, 0, {}, {});
  // A tenth of the singers upload in 100 ms (each every 600 ms): their windows move.
  tick();
  for (std::size_t i = 0; i < 1000; i += 6) {
    snap.singers[i] =
        singer(snap.singers[i].id, "Singer", snap.singers[i].delay_samples, snap.server_clock);
  }
  const std::string delta = encoder.delta(snap, 0, {}, {});
  EXPECT_EQ(json::parse(delta).at("singers").as_array().size(), 167u);
  EXPECT_LT(delta.size() * 4, whole) << "delta " << delta.size() << " B, whole " << whole << " B";
  std::printf("# 1,000 singers, 167 moved: delta %zu B, whole state %zu B\n", delta.size(), whole);
}

}  // namespace
}  // namespace brigade::server
