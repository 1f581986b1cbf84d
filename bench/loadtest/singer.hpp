// brigade-loadtest: one simulated singer, a timer-driven state machine that speaks the API as
// its profile's client does (profile.hpp): GET the clock, read `offset` behind it, then one
// exchange per batch in real time, read-only until the client's microphone would hold a batch,
// then with read and write clocks advancing together by exactly n_samples; the first exchange
// of every connection carries reset_user_state; delay_seconds in a reply or any error makes it
// reconnect (new GET, new read clock). Singer 0 of a song run is the leader: it asks
// for the lead once everyone is active, starts the song after its own reconnect, and stops it
// when asked.
//
// Threading: every singer of a run lives on the one io thread that runs the pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "brigade/codec/opus_codec.hpp"
#include "brigade/constants.hpp"
#include "drift.hpp"
#include "fault.hpp"
#include "http_pool.hpp"
#include "profile.hpp"
#include "song_state.hpp"
#include "stats.hpp"
#include "timing.hpp"
#include "voice.hpp"
#include "ws_links.hpp"

namespace brigade::loadtest {

/// What the singers of a run share.
struct RunContext {
  HttpPool* pool = nullptr;
  WsLinks* ws = nullptr;  ///< --transport ws: used instead of the pool
  Stats* stats = nullptr;
  SongState* song = nullptr;
  const PacketPool* packets = nullptr;
  std::string path;  ///< API path, e.g. "/api"
  Profile profile = Profile::kPage;
  SteadyClock::duration latency{};  ///< the singer's audio round trip (delays its first upload)
  std::FILE* trace = nullptr;       ///< --trace: one JSON line per request
  SteadyClock::time_point origin;   ///< the run's start (trace times)
  Clock n_samples = 28'800;         ///< per exchange
  SteadyClock::duration batch{};
  std::optional<Clock> write_lag;  ///< samples; set: write every exchange at read - lag
  double offset_s = 12.0;          ///< initial offset
  bool summary = true;
  /// The WebSocket asked for pushes: the summary comes pushed, exchanges do not ask for it.
  bool pushes = false;
  bool decode = false;
  bool verify = false;
  std::vector<double> verify_freqs;  ///< tone per singer (verify)
  std::vector<double> probe_freqs;   ///< off-tone frequencies for the noise floor (verify)
  TimingRun* timing = nullptr;       ///< --verify timing: every singer is an echo singer
  double clock_rate = 1.0;           ///< singers' clock seconds per real second (drift)
  bool reanchor = true;              ///< re-anchor on drift (DriftWatch); off: --no-reanchor
  std::vector<Fault> faults;         ///< --faulty, by singer index (empty: none)
  int encoder_complexity = 10;       ///< the singers' own encoders (--encoder-complexity)
};

/// Goertzel powers of one decoded reply chunk (verify mode).
struct ChunkPowers {
  Clock end = 0;              ///< read clock of the chunk
  std::vector<float> tones;   ///< power at each singer's tone
  std::vector<float> probes;  ///< power at each probe frequency
};

class Singer {
 public:
  Singer(net::io_context& io, RunContext& ctx, int index, std::uint64_t user_id, bool leader,
         std::uint32_t seed);

  /// Starts after `delay` (the random phase). With a song already led, joins a random
  /// follower bucket as a page user would.
  void start(SteadyClock::duration delay);
  /// Stops scheduling (an in-flight request still completes and is counted).
  void stop();

  int index() const { return index_; }
  bool is_leader() const { return leader_; }
  std::uint64_t exchanges_ok() const { return exchanges_ok_; }
  std::uint64_t reconnects() const { return reconnects_; }
  SteadyClock::time_point last_ok() const { return last_ok_; }
  /// Bucket (delay seconds) last assigned by the server; 0 if none.
  int bucket() const { return bucket_; }
  /// End of the newest interval read successfully.
  Clock read_end() const { return read_end_; }
  const std::vector<ChunkPowers>& chunks() const { return chunks_; }
  /// --verify timing: this singer's ears and voice.
  const EchoVoice* echo() const { return echo_ ? &*echo_ : nullptr; }
  /// Largest |drift| of this singer's reads against the server clock seen so far, samples.
  Clock max_drift() const { return max_drift_; }
  std::uint64_t reanchors() const { return reanchors_; }

 private:
  /// Sends over the run's transport (the HTTP pool, or this singer's WebSocket).
  void submit(HttpRequest req, HttpCallback done);
  void connect();
  void on_clock(const HttpResult& r, SteadyClock::time_point sent);
  /// What a new connection keeps of the old one: all of it for a re-anchor that goes on (as the
  /// page), nothing otherwise. `old_next_read`: the old connection's next read clock.
  void carry_over(bool reanchor, Clock old_next_read);
  void schedule_exchange();
  void exchange();
  void on_exchange(const HttpResult& r, SteadyClock::time_point sent, Clock read_clock,
                   bool carried_lead, bool carried_start, bool carried_stop);
  /// Error path: count it and reconnect (as the page does, without back-off for exchanges).
  void fail(const std::string& kind, std::int64_t micros, const std::string& detail,
            SteadyClock::duration retry_after, bool has_latency = true);
  void build_body(Clock write_clock, std::string& body);
  /// The write clock of the next exchange, or nothing while it reads only.
  std::optional<Clock> next_write_clock(Clock read_clock) const;
  /// The user-summary version to echo, or nothing to ask for the whole summary.
  std::optional<std::uint64_t> summary_version_to_send() const;
  /// Reads user_summary_version / user_summary_unchanged and the summary's size.
  void note_summary(const boost::json::object& meta, std::size_t records, bool present);
  void trace(const HttpRequest& req) const;
  bool check_reply(const HttpResult& r, Clock read_clock, std::string& problem,
                   std::optional<int>& delay_seconds);
  void connect_after(SteadyClock::duration wait);
  /// A uniformly random duration in [from, to).
  SteadyClock::duration random_between(SteadyClock::duration from, SteadyClock::duration to);
  SteadyClock::time_point due_time(std::uint64_t k) const;
  SteadyClock::duration first_exchange_wait();

  net::io_context& io_;
  RunContext& ctx_;
  net::steady_timer timer_;
  int index_;
  std::uint64_t id_;
  bool leader_;
  std::string name_;
  std::mt19937 rng_;
  bool running_ = false;
  bool counted_active_ = false;

  double offset_s_;  ///< current "time travel" offset
  int bucket_ = 0;
  Clock read_end_ = 0;      ///< end of the last interval read (next = + n)
  bool reset_next_ = true;  ///< next exchange starts a connection
  /// Echoed on every exchange: the server's session credential ("new" asks for one).
  std::string session_token_ = "new";
  Clock server_ref_ = 0;  ///< estimated server clock at steady_ref_
  SteadyClock::time_point steady_ref_;
  SteadyClock::time_point base_;  ///< when exchange 0 of this connection was due
  std::uint64_t k_ = 0;           ///< exchanges sent on this connection
  /// A re-anchor: when the old connection's next exchange was due (the new one's first).
  std::optional<SteadyClock::time_point> reanchor_due_;
  std::size_t pool_pos_ = 0;         ///< next packet of the shared pool (load mode)
  bool leader_reconnected_ = false;  ///< the leader reconnected after taking the lead
  Clock first_read_end_ = 0;         ///< the connection's first read clock
  std::optional<Clock> write_end_;   ///< end of the last interval written on this connection
  /// --verify timing: end of everything uploaded in this bucket, across reconnects (sent, not
  /// acknowledged: a timed-out upload may have been mixed). What lies before it is not re-sung.
  Clock uploaded_end_ = 0;
  std::optional<SteadyClock::time_point> first_reply_;  ///< of this connection
  std::uint64_t connection_ok_ = 0;                     ///< good exchanges on this connection
  SteadyClock::duration backoff_ = kBackoffFirst;       ///< the page's next reconnect wait
  std::optional<std::uint64_t>
      summary_version_;  ///< the listing's version held (kept across connections, as the page does)
  SteadyClock::time_point summary_at_{};  ///< when the last whole summary came
  std::size_t listed_ = 0;                ///< singers in that summary
  std::size_t connected_ = 0;      ///< n_connected_users of the last reply: the next summary's size
  std::size_t summary_block_ = 2;  ///< bytes of the last reply's summary block
  std::size_t reply_audio_offset_ = 0;  ///< where the last reply's Opus container starts

  std::uint64_t exchanges_ok_ = 0;
  std::uint64_t reconnects_ = 0;
  SteadyClock::time_point last_ok_{};

  std::optional<codec::Encoder> encoder_;  ///< verify: this singer's tone
  std::optional<codec::Decoder> decoder_;  ///< --decode
  std::vector<float> pcm_;                 ///< scratch: decoded reply / tone chunk
  std::vector<ChunkPowers> chunks_;
  std::optional<EchoVoice> echo_;  ///< --verify timing
  DriftWatch drift_;
  Clock max_drift_ = 0;
  std::uint64_t reanchors_ = 0;
  std::optional<Clock> reply_server_clock_;  ///< server_clock of the reply being checked
  Fault fault_ = Fault::kNone;               ///< --faulty
  std::optional<codec::Encoder> silence_;    ///< a silent singer's encoder
};

}  // namespace brigade::loadtest
