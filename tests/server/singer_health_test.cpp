// The chart's problem detectors on synthetic singers: exactly the broken ones are flagged.
#include "singer_health.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace brigade::server {
namespace {

constexpr Clock kStart = Clock{5000} * kSampleRate;
constexpr Clock kBatch = Clock{28'800};              // 600 ms
constexpr Clock kOffset = kSampleRate * 150 / 1000;  // a calibrated write offset, 150 ms
constexpr int kFirstBucket = 3;

/// An observation without audio or write clock.
UploadObservation bare(UserId user, Clock arrival, Clock read_clock, bool reset = false,
                       std::uint32_t codec_resets = 0) {
  UploadObservation o;
  o.user = user;
  o.arrival = arrival;
  o.read_clock = read_clock;
  o.n_samples = kBatch;
  o.reset_user_state = reset;
  o.codec_resets = codec_resets;
  return o;
}

SingerView view(UserId id, Clock delay = 6 * kSampleRate) {
  SingerView v;
  v.id = id;
  v.delay_samples = delay;
  return v;
}

enum class Fault { kNone, kStops, kMiscalibrated, kSilent, kClipping, kLate };

struct Synthetic {
  UserId id;
  int bucket;  // 0-based
  Fault fault = Fault::kNone;
};

/// A choir singing `seconds`: every singer sends a 600 ms batch per 600 ms, with a few ms of
/// deterministic jitter; faults as declared.
class Choir {
 public:
  explicit Choir(std::vector<Synthetic> singers) : singers_(std::move(singers)) {}

  void sing(SingerHealth& health, double seconds) {
    const Clock end = now_ + static_cast<Clock>(seconds * kSampleRate);
    for (; now_ < end; now_ += kBatch) {
      for (const Synthetic& s : singers_) send(health, s);
      ++round_;
    }
  }

  RoomSnapshot snapshot() const {
    RoomSnapshot snap;
    snap.server_clock = now_;
    snap.first_bucket = kFirstBucket;
    for (const Synthetic& s : singers_) {
      SingerView v;
      v.id = s.id;
      v.name = "singer " + std::to_string(s.id);
      v.delay_samples = delay(s);
      snap.singers.push_back(v);
    }
    return snap;
  }

  Clock now() const { return now_; }

 private:
  static Clock delay(const Synthetic& s) {
    return Clock{kFirstBucket + 3 * s.bucket} * kSampleRate + static_cast<Clock>(s.id % 7) * 480;
  }

  void send(SingerHealth& health, const Synthetic& s) {
    if (s.fault == Fault::kStops && now_ >= kStart + 8 * kSampleRate) return;
    // Jitter of 0–9 ms; the late singer's every third request comes 400 ms late.
    Clock arrival =
        now_ + static_cast<Clock>((s.id * 7 + static_cast<UserId>(round_) * 3) % 10) * 48;
    if (s.fault == Fault::kLate && round_ % 3 == 2) arrival += kSampleRate * 400 / 1000;
    const Clock read_clock = now_ - delay(s);
    const Clock offset =
        s.fault == Fault::kMiscalibrated ? kOffset + kSampleRate * 400 / 1000 : kOffset;
    const float amplitude = s.fault == Fault::kSilent     ? 0.0f
                            : s.fault == Fault::kClipping ? 1.0f
                                                          : 0.3f;
    for (std::size_t i = 0; i < audio_.size(); ++i) {
      const double x = std::sin(2 * M_PI * 220.0 * static_cast<double>(i) / kSampleRate);
      audio_[i] =
          s.fault == Fault::kClipping ? (x >= 0 ? 1.0f : -1.0f) : amplitude * static_cast<float>(x);
    }
    UploadObservation o = bare(s.id, arrival, read_clock, round_ == 0, 1);
    o.write_clock = read_clock - offset;
    o.upload = audio_;
    health.record(o);
  }

  std::vector<Synthetic> singers_;
  Clock now_ = kStart;
  long round_ = 0;
  std::vector<float> audio_ = std::vector<float>(static_cast<std::size_t>(kBatch));
};

/// Flagged singers by problem.
std::map<Problem, std::set<UserId>> flagged(const RoomSnapshot& snap,
                                            const std::vector<SingerAssessment>& a) {
  std::map<Problem, std::set<UserId>> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t k = 0; k < kProblemKinds; ++k) {
      if (a[i].has(static_cast<Problem>(k)))
        out[static_cast<Problem>(k)].insert(snap.singers[i].id);
    }
  }
  return out;
}

std::vector<Synthetic> choir_with(std::vector<Synthetic> broken) {
  std::vector<Synthetic> all = broken;
  // 40 healthy singers spread over buckets 1–5 (index 0–4), ids 100…139.
  for (UserId id = 100; id < 140; ++id) all.push_back({id, static_cast<int>(id % 5)});
  return all;
}

TEST(SingerHealthTest, FlagsExactlyTheBrokenSingers) {
  SingerHealth health(1000);
  Choir choir(choir_with({{1, 1, Fault::kStops},
                          {2, 2, Fault::kMiscalibrated},
                          {3, 3, Fault::kSilent},
                          {4, 4, Fault::kClipping},
                          {5, 1, Fault::kLate}}));
  choir.sing(health, 12.0);
  const RoomSnapshot snap = choir.snapshot();
  std::vector<SingerAssessment> a;
  const ProblemCounts counts = health.assess(snap, a);
  ASSERT_EQ(a.size(), snap.singers.size());

  const auto f = flagged(snap, a);
  using Set = std::set<UserId>;
  EXPECT_EQ(f.count(Problem::kMissing) ? f.at(Problem::kMissing) : Set{}, Set{1});
  EXPECT_EQ(f.count(Problem::kMiscalibrated) ? f.at(Problem::kMiscalibrated) : Set{}, Set{2});
  EXPECT_EQ(f.count(Problem::kSilent) ? f.at(Problem::kSilent) : Set{}, Set{3});
  EXPECT_EQ(f.count(Problem::kClipping) ? f.at(Problem::kClipping) : Set{}, Set{4});
  EXPECT_EQ(f.count(Problem::kLate) ? f.at(Problem::kLate) : Set{}, Set{5});
  EXPECT_EQ(f.count(Problem::kReconnects), 0u);
  EXPECT_EQ(f.count(Problem::kCodecResets), 0u);
  for (std::size_t k = 0; k < kProblemKinds; ++k) {
    const auto it = f.find(static_cast<Problem>(k));
    EXPECT_EQ(counts[k], it == f.end() ? 0u : it->second.size())
        << problem_name(static_cast<Problem>(k));
  }
  // The numbers behind the flags.
  EXPECT_NEAR(a[1].offset_from_peers_ms, 400.0f, 20.0f);  // singer 2
  EXPECT_NEAR(a[1].write_offset_ms, 550.0f, 1.0f);
  EXPECT_GE(a[2].silent_s, 10.0f);
  EXPECT_GE(a[3].peak, 0.99f);
  EXPECT_NEAR(a[4].late_ms, 400.0f, 20.0f);
  EXPECT_GE(a[0].since_last_s, 2.0f);
}

TEST(SingerHealthTest, WhenEveryoneIsLateNoSingerIsBlamed) {
  // An overloaded server or network delays every request alike: the room's problem.
  std::vector<Synthetic> all;
  for (UserId id = 100; id < 130; ++id) all.push_back({id, static_cast<int>(id % 5), Fault::kLate});
  SingerHealth health(100);
  Choir choir(all);
  choir.sing(health, 12.0);
  const RoomSnapshot snap = choir.snapshot();
  std::vector<SingerAssessment> a;
  EXPECT_EQ(health.assess(snap, a)[static_cast<std::size_t>(Problem::kLate)], 0u);
  EXPECT_GE(a[0].late_events, kLateEvents);  // they were late, and it was seen
}

TEST(SingerHealthTest, ReconnectStormsAndCodecResets) {
  SingerHealth health(100);
  Choir choir(choir_with({}));
  choir.sing(health, 3.0);
  Clock t = choir.now();
  const Clock read = t - 6 * kSampleRate;
  // Singer 7 reconnects four times in a few seconds; singer 8's codec is reset by errors
  // three times (its next successful requests carry the rising count).
  for (std::uint32_t i = 0; i < 4; ++i) {
    health.record(bare(7, t + i * kBatch, read + i * kBatch, true, i + 1));
  }
  health.record(bare(8, t, read, true, 1));
  for (std::uint32_t i = 1; i < 4; ++i) {
    health.record(bare(8, t + i * kBatch, read + i * kBatch, false, 1 + i));
  }
  choir.sing(health, 1.2);
  RoomSnapshot snap = choir.snapshot();
  for (UserId id : {7, 8}) {
    snap.singers.push_back(view(id));
  }
  std::vector<SingerAssessment> a;
  health.assess(snap, a);
  const auto f = flagged(snap, a);
  EXPECT_EQ(f.at(Problem::kReconnects), std::set<UserId>{7});
  EXPECT_EQ(f.at(Problem::kCodecResets), std::set<UserId>{8});
}

TEST(SingerHealthTest, MoreSingersThanSlotsAreLeftUntrackedNotCrashed) {
  SingerHealth health(2);  // 8 slots
  for (UserId id = 1; id <= 50; ++id) {
    health.record(bare(id, kStart, kStart - kSampleRate));
  }
  RoomSnapshot snap;
  snap.server_clock = kStart + 3 * kSampleRate;
  for (UserId id = 1; id <= 50; ++id) snap.singers.push_back(view(id));
  std::vector<SingerAssessment> a;
  const ProblemCounts counts = health.assess(snap, a);
  EXPECT_EQ(counts[static_cast<std::size_t>(Problem::kMissing)], 8u);  // the 8 tracked ones
  // 30 s later the old slots are stale and new singers take them.
  health.record(bare(99, kStart + 40 * kSampleRate, kStart + 39 * kSampleRate));
  snap.server_clock = kStart + 40 * kSampleRate;
  snap.singers = {view(99)};
  health.assess(snap, a);
  EXPECT_EQ(a.at(0).problems, 0);
  EXPECT_NEAR(a.at(0).since_last_s, 0.0f, 1e-6);
}

TEST(SingerHealthTest, ProblemMetricsNameEveryKind) {
  std::string out;
  ProblemCounts counts{};
  counts[static_cast<std::size_t>(Problem::kMiscalibrated)] = 3;
  append_problem_metrics(out, counts);
  EXPECT_NE(out.find("# TYPE brigade_singer_problems gauge\n"), std::string::npos);
  EXPECT_NE(out.find("brigade_singer_problems{kind=\"miscalibrated\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("brigade_singer_problems{kind=\"codec_resets\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace brigade::server
