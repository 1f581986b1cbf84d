// The server's /metrics from its rooms' expositions: every family once, every room's series
// under its room label, the process families once and unlabelled.
#include "metrics_merge.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "singer_health.hpp"

namespace brigade::server {
namespace {

using namespace std::chrono_literals;

/// A room's exposition as Router renders it: the Metrics families, then the singer problems.
std::string exposition(const Metrics& m, int singers, bool process) {
  Metrics::Gauges g;
  g.version = "test";
  g.active_singers = singers;
  g.song_phase = singers > 0 ? SongPhase::kSinging : SongPhase::kIdle;
  if (process) g.process.open_fds = 12;
  std::string out = m.prometheus(g);
  append_problem_metrics(out, ProblemCounts{});
  return out;
}

/// `name{labels}` → value, and how often each "# HELP name" occurs.
struct Parsed {
  std::map<std::string, double> samples;
  std::map<std::string, int> helps;
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l.starts_with("# HELP ")) {
      const std::string rest = l.substr(7);
      ++p.helps[rest.substr(0, rest.find(' '))];
    }
    if (l.empty() || l[0] == '#') continue;
    const auto space = l.rfind(' ');
    EXPECT_EQ(p.samples.count(l.substr(0, space)), 0u) << "duplicate series " << l;
    p.samples[l.substr(0, space)] = std::stod(l.substr(space + 1));
  }
  return p;
}

TEST(MetricsMerge, EveryRoomsCountersAppearUnderItsRoomLabelAndEachFamilyOnce) {
  Metrics main, alto;
  main.record_request(200, 1ms, 10, 20);
  for (int i = 0; i < 3; ++i) alto.record_request(200, 1ms, 100, 200);
  alto.record_request(400, 1ms, 5, 5);
  alto.record_error(ErrorReason::kClock);
  const std::string a = exposition(main, 0, true), b = exposition(alto, 2, false);
  const std::vector<RoomExposition> rooms{{"default", a}, {"alto", b}};
  const Parsed m = parse(merge_room_expositions(rooms));

  for (const auto& [family, count] : m.helps) EXPECT_EQ(count, 1) << family;
  EXPECT_EQ(m.helps.count("brigade_http_requests_total"), 1u);
  EXPECT_EQ(m.samples.at(R"(brigade_http_requests_total{room="default",code="200"})"), 1.0);
  EXPECT_EQ(m.samples.at(R"(brigade_http_requests_total{room="alto",code="200"})"), 3.0);
  EXPECT_EQ(m.samples.at(R"(brigade_http_requests_total{room="alto",code="400"})"), 1.0);
  EXPECT_EQ(m.samples.at(R"(brigade_errors_total{room="alto",reason="clock"})"), 1.0);
  EXPECT_EQ(m.samples.at(R"(brigade_errors_total{room="default",reason="clock"})"), 0.0);
  EXPECT_EQ(m.samples.at(R"(brigade_http_request_bytes_total{room="alto"})"), 305.0);
  EXPECT_EQ(m.samples.at(R"(brigade_http_request_duration_seconds_count{room="alto"})"), 4.0);
  EXPECT_EQ(m.samples.at(R"(brigade_http_request_duration_seconds_bucket{room="alto",le="+Inf"})"),
            4.0);
  EXPECT_EQ(m.samples.at(R"(brigade_active_singers{room="alto"})"), 2.0);
  EXPECT_EQ(m.samples.at(R"(brigade_song_state{room="alto",state="singing"})"), 1.0);
  EXPECT_EQ(m.samples.at(R"(brigade_singer_problems{room="alto",kind="late"})"), 0.0);
  // The process and the server: once, without a room label.
  EXPECT_EQ(m.samples.at(R"(brigade_build_info{version="test"})"), 1.0);
  EXPECT_EQ(m.samples.at("brigade_ready"), 0.0);
  EXPECT_EQ(m.samples.at("brigade_ring_frames"), 45000.0);
  EXPECT_EQ(m.samples.at("process_open_fds"), 12.0);
  for (const auto& [series, value] : m.samples) {
    EXPECT_EQ(series.find("room=") == std::string::npos,
              is_server_family(series.substr(0, series.find('{'))))
        << series;
  }
}

TEST(MetricsMerge, EachFamilysSamplesFollowItsHeaderWithoutInterleaving) {
  Metrics main, alto, bass;
  const std::string a = exposition(main, 0, true), b = exposition(alto, 1, false),
                    c = exposition(bass, 1, false);
  const std::vector<RoomExposition> rooms{{"default", a}, {"alto", b}, {"bass", c}};
  std::istringstream lines(merge_room_expositions(rooms));
  std::string family;
  std::map<std::string, int> headers_seen;
  for (std::string l; std::getline(lines, l);) {
    if (l.starts_with("# HELP ")) {
      const std::string rest = l.substr(7);
      family = rest.substr(0, rest.find(' '));
      ++headers_seen[family];
      continue;
    }
    if (l.starts_with("# TYPE ")) {
      EXPECT_TRUE(l.substr(7).starts_with(family + " ")) << l;
      continue;
    }
    // A sample belongs to the family last introduced (histograms add _bucket, _sum, _count).
    EXPECT_TRUE(l.starts_with(family)) << l << " after " << family;
  }
  for (const auto& [f, n] : headers_seen) EXPECT_EQ(n, 1) << f;
  EXPECT_GT(headers_seen.size(), 15u);
}

TEST(MetricsMerge, OneRoomGivesItsOwnSeriesLabelled) {
  Metrics main;
  main.record_request(404, 1ms, 1, 1);
  const std::string a = exposition(main, 0, true);
  const std::vector<RoomExposition> rooms{{"default", a}};
  const Parsed m = parse(merge_room_expositions(rooms));
  EXPECT_EQ(m.samples.at(R"(brigade_http_requests_total{room="default",code="404"})"), 1.0);
  EXPECT_EQ(m.samples.count(R"(brigade_http_requests_total{code="404"})"), 0u);
}

}  // namespace
}  // namespace brigade::server
