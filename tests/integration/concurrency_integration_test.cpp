// Integration (also run under TSan): several singers in parallel threads, each on its own
// keep-alive connection, exchange 4.8 s of audio each while a song is on and another thread
// polls status and the clock. Every request must succeed with a well-formed reply.
#include <atomic>
#include <chrono>
#include <thread>

#include "client/singer.hpp"
#include "client/tone.hpp"
#include "server_fixture.hpp"

namespace brigade::integration {
namespace {

/// One fixture name per file keeps CTest's test names unique across executables.
using Concurrency = ServerTest;

using client::ExchangeParams;

constexpr Clock kChunk = 5'760;  // 120 ms: more requests per second than the browser's 600 ms
constexpr int kSingers = 4;
/// Per singer: 4.8 s of audio. The first singer reads 3 s behind, so it paces in real time
/// for the last 1.8 s; the others are bounded by the server's throughput only.
constexpr int kExchanges = 40;

TEST_F(Concurrency, ParallelSingersAndPollersAllSucceed) {
  std::atomic<int> errors{0};
  std::atomic<int> singers_done{0};
  std::vector<int> exchanges(kSingers, 0);
  std::vector<std::string> first_problem(kSingers);
  std::vector<std::thread> threads;

  for (int i = 0; i < kSingers; ++i) {
    threads.emplace_back([&, i] {
      auto http = make_client();
      client::Singer singer(*http, 5000 + static_cast<std::uint64_t>(i),
                            "singer" + std::to_string(i));
      try {
        singer.connect(3.0 * (i + 1));  // one singer per bucket
        for (int k = 0; k < kExchanges; ++k) {
          ExchangeParams p;
          p.user_summary = true;
          if (i == 0 && k == 1) p.request_lead = true;
          if (i == 0 && k == 2) p.mark_start_singing = true;
          const Clock begin = singer.next_read_clock(kChunk) - kChunk;
          const auto tone = client::sine(220.0 * (i + 1), 0.2f, kChunk, begin);
          const auto r = singer.exchange(kChunk, &tone, p);
          if (!r.ok()) {
            errors.fetch_add(1);
            if (first_problem[i].empty()) first_problem[i] = r.problem;
            // Recover as the browser does: reconnect with reset_user_state.
            singer.connect(3.0 * (i + 1));
            continue;
          }
          ++exchanges[i];
        }
      } catch (const std::exception& e) {
        errors.fetch_add(1);
        first_problem[i] = e.what();
      }
      singers_done.fetch_add(1);
    });
  }
  std::atomic<int> polls{0};
  threads.emplace_back([&] {
    auto http = make_client();
    try {
      while (singers_done.load() < kSingers) {
        const auto status = http->post("/api?action=status", "");
        const auto clock = http->get("/api");
        if (status.status != 200 || clock.status != 200) errors.fetch_add(1);
        polls.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    } catch (const std::exception&) {
      errors.fetch_add(1);
    }
  });
  for (auto& t : threads) t.join();

  EXPECT_EQ(errors.load(), 0);
  for (int i = 0; i < kSingers; ++i) {
    EXPECT_TRUE(first_problem[i].empty()) << "singer " << i << ": " << first_problem[i];
    EXPECT_EQ(exchanges[i], kExchanges) << "singer " << i;
  }
  EXPECT_GT(polls.load(), 0);

  // Afterwards the room counts all of them.
  client::StatusReply status;
  const auto res = http_->post("/api?action=status", "");
  ASSERT_TRUE(client::parse_status_reply(res.header("X-Audio-Metadata"), res.body, status).ok());
  EXPECT_EQ(status.n_connected_users, kSingers);
}

}  // namespace
}  // namespace brigade::integration
