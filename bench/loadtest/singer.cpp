// brigade-loadtest: one simulated singer (see singer.hpp).
#include "singer.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include "brigade/codec/packet_container.hpp"
#include "client/api_wire.hpp"
#include "client/tone.hpp"

namespace brigade::loadtest {
namespace {

/// A read must end this far behind the estimated server clock (rounding, scheduling).
constexpr Clock kFutureMargin = kSampleRate / 50;  // 20 ms
/// The page retries a failed clock GET every second.
constexpr auto kClockRetry = std::chrono::seconds(1);
/// After a failed exchange the page reconnects at once; a short pause keeps a failing server
/// from being hammered in a tight loop.
constexpr auto kExchangeRetry = std::chrono::milliseconds(100);
/// Verify tones: amplitude per singer (12 summed stay well below full scale).
constexpr float kToneAmplitude = 0.05f;
/// WebCodecs hands encoded packets over a little after the microphone samples arrive.
constexpr auto kEncoderSlack = std::chrono::milliseconds(20);

const char* failure_kind(Failure f) {
  switch (f) {
    case Failure::kTimeout:
      return "timeout";
    case Failure::kConnect:
      return "connect";
    case Failure::kTransport:
      return "transport";
    default:
      return "protocol";
  }
}

std::int64_t micros_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t).count();
}

/// An optional integer key: absent or null → nullopt; anything else must be an integer.
bool optional_int(const boost::json::object& obj, std::string_view key,
                  std::optional<std::int64_t>& out) {
  out.reset();
  const auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  std::int64_t i = 0;
  if (!client::get_int(obj, key, i).ok()) return false;
  out = i;
  return true;
}

}  // namespace

Singer::Singer(net::io_context& io, RunContext& ctx, int index, std::uint64_t user_id, bool leader,
               std::uint32_t seed)
    : io_(io),
      ctx_(ctx),
      timer_(io),
      index_(index),
      id_(user_id),
      leader_(leader),
      name_("load" + std::to_string(index)),
      rng_(seed),
      offset_s_(ctx.offset_s) {
  if (ctx_.verify || ctx_.timing) {
    encoder_.emplace();
    encoder_->set_complexity(ctx_.encoder_complexity);
  }
  if (ctx_.timing) echo_.emplace(*ctx_.timing, index_, ctx_.n_samples);
  if (ctx_.decode) decoder_.emplace();
  pcm_.resize(static_cast<std::size_t>(ctx_.n_samples) + codec::kMaxPacketSamples);
  pool_pos_ = std::uniform_int_distribution<std::size_t>(0, ctx_.packets->size() - 1)(rng_);
  if (static_cast<std::size_t>(index_) < ctx_.faults.size()) {
    fault_ = ctx_.faults[static_cast<std::size_t>(index_)];
  }
  if (fault_ == Fault::kSilent) silence_.emplace();
}

void Singer::start(SteadyClock::duration delay) {
  running_ = true;
  const SongState& song = *ctx_.song;
  if (song.enabled && song.lead_sent && !leader_) {
    // Joining a song in progress: pick a follower bucket, as the page's join buttons offer.
    const int slot = std::uniform_int_distribution<int>(1, 5)(rng_);
    offset_s_ = song.first_bucket + 3.0 * slot;
    bucket_ = static_cast<int>(offset_s_);
  }
  connect_after(delay);
}

void Singer::stop() {
  running_ = false;
  timer_.cancel();
}

void Singer::connect() {
  const auto sent = SteadyClock::now();
  HttpRequest req{false, ctx_.path, {}};
  trace(req);
  submit(std::move(req), [this, sent](const HttpResult& r) { on_clock(r, sent); });
}

void Singer::submit(HttpRequest req, HttpCallback done) {
  if (ctx_.ws != nullptr)
    return ctx_.ws->submit(static_cast<std::size_t>(index_), std::move(req), std::move(done));
  ctx_.pool->submit(std::move(req), std::move(done));
}

void Singer::trace(const HttpRequest& req) const {
  if (ctx_.trace == nullptr) return;
  const double t = std::chrono::duration<double>(SteadyClock::now() - ctx_.origin).count();
  // Targets are form-encoded: no character needs JSON escaping.
  std::fprintf(ctx_.trace,
               "{\"t\": %.4f, \"singer\": %d, \"method\": \"%s\", \"target\": \"%s\", "
               "\"body_bytes\": %zu}\n",
               t, index_, req.post ? "POST" : "GET", req.target.c_str(), req.body.size());
}

void Singer::on_clock(const HttpResult& r, SteadyClock::time_point sent) {
  const auto micros = micros_since(sent);
  if (r.failure != Failure::kNone) {
    return fail(failure_kind(r.failure), micros, "clock GET: " + r.detail, kClockRetry,
                r.failure != Failure::kConnect);
  }
  if (r.status != 200) {
    return fail("http_" + std::to_string(r.status), micros, "clock GET", kClockRetry);
  }
  client::ClockReply clock;
  if (auto s = client::parse_clock_reply(r.x_audio_metadata, clock); !s.ok()) {
    return fail("protocol", micros, "clock GET: " + s.message, kClockRetry);
  }
  ctx_.stats->ok(micros, false, Transfer{r.request_bytes, r.wire_bytes, 0, 0});
  if (!running_) return;
  // As the page does: half the round trip is the one-way latency.
  const Clock half_rtt = micros * kSampleRate / 2'000'000;
  server_ref_ = clock.server_clock + half_rtt;
  steady_ref_ = SteadyClock::now();
  const bool reanchor = reanchor_due_ && spec(ctx_.profile).page_reconnects;
  const Clock old_next_read = read_end_ + ctx_.n_samples;
  const auto spread = first_exchange_wait();
  const Clock spread_samples =
      std::chrono::duration_cast<std::chrono::microseconds>(spread).count() * kSampleRate /
      1'000'000;
  // The page's firstReadClock: offset behind the clock at the first exchange, down to the
  // 60 ms grid.
  const Clock start = server_ref_ + spread_samples - static_cast<Clock>(offset_s_ * kSampleRate);
  first_read_end_ = start - start % kOpusFrameSamples;
  read_end_ = first_read_end_ - ctx_.n_samples;
  connection_ok_ = 0;
  k_ = 0;
  base_ = steady_ref_ + spread;
  drift_.reset();
  carry_over(reanchor, old_next_read);
  schedule_exchange();
}

void Singer::carry_over(bool reanchor, Clock old_next_read) {
  // As the page (web/clock.js, continueFrom; web/session.js): a re-anchor whose reads go on from
  // the old ones (moved by at most a frame) uploads from its first exchange, on from the last
  // write, moved as far as the reads, and keeps its decoder: the replies go on in the same shared
  // stream. It resets the server's codecs and clocks only when its reads move.
  const Clock shift = first_read_end_ - old_next_read;
  const bool goes_on = reanchor && std::llabs(shift) <= kOpusFrameSamples;
  reset_next_ = !goes_on || shift != 0;
  if (!goes_on) {
    write_end_.reset();
    first_reply_.reset();
    if (decoder_) decoder_->reset();
  } else if (write_end_) {
    *write_end_ += shift;
  }
  // The page's encoder goes on even when the server's decoder starts afresh (its waiting packets
  // must go up), which that decoder fades in over a frame. The verify modes make their upload for
  // any clock, so their encoder starts afresh with the server's decoder: level checks stay exact.
  if (encoder_ && reset_next_) encoder_->reset();
}

void Singer::schedule_exchange() {
  if (!running_) return;
  auto due = due_time(k_);
  // --faulty late: every third request leaves late (the next ones are on time again).
  // Only once it uploads, so its first write (and so its write offset) is a calibrated one's.
  if (fault_ == Fault::kLate && write_end_ && k_ % 3 == 2) {
    due += std::chrono::milliseconds(kLateDelayMs);
  }
  timer_.expires_at(std::max(due, SteadyClock::now()));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && running_) exchange();
  });
}

void Singer::exchange() {
  const Clock n = ctx_.n_samples;
  const Clock read_clock = read_end_ + n;
  // Never read into the server's future: wait if the estimate says it is not there yet.
  const auto since_ref = SteadyClock::now() - steady_ref_;
  const Clock server_now =
      server_ref_ +
      static_cast<Clock>(
          static_cast<double>(
              std::chrono::duration_cast<std::chrono::microseconds>(since_ref).count()) *
          ctx_.clock_rate * kSampleRate / 1e6);
  if (read_clock > server_now - kFutureMargin) {
    const Clock wait = read_clock - server_now + kFutureMargin;
    timer_.expires_after(std::chrono::microseconds(wait * 1'000'000 / kSampleRate + 1));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && running_) exchange();
    });
    return;
  }
  const std::optional<Clock> write_clock = next_write_clock(read_clock);

  ExchangeFields p;
  p.userid = id_;
  p.read_clock = read_clock;
  p.write_clock = write_clock;
  p.n_samples = n;
  p.username = name_;
  p.reset_user_state = reset_next_;
  p.session_token = session_token_;  // "new" at first: a session bound from its first reply
  p.user_summary =
      ctx_.summary && !ctx_.pushes && (spec(ctx_.profile).summary_on_first || !reset_next_);
  p.summary_version = summary_version_to_send();
  SongState& song = *ctx_.song;
  if (leader_ && song.enabled) {
    if (!song.lead_sent &&
        (song.active >= song.active_needed || SteadyClock::now() >= song.lead_deadline)) {
      p.request_lead = song.lead_sent = true;
    } else if (song.lead_assigned && leader_reconnected_ && !song.start_sent) {
      p.mark_start_singing = song.start_sent = true;
    } else if (song.stop_wanted && song.start_clock > 1 && !song.stop_sent) {
      p.mark_stop_singing = song.stop_sent = true;
    }
  }
  HttpRequest req{true, exchange_target(ctx_.profile, p, ctx_.path), {}};
  if (write_clock) build_body(*write_clock, req.body);
  trace(req);
  ++k_;
  const auto sent = SteadyClock::now();
  submit(std::move(req),
         [this, sent, read_clock, write_clock, lead = p.request_lead, start = p.mark_start_singing,
          stop = p.mark_stop_singing](const HttpResult& r) {
           if (r.failure == Failure::kNone && r.status == 200) write_end_ = write_clock;
           on_exchange(r, sent, read_clock, lead, start, stop);
         });
}

std::optional<Clock> Singer::next_write_clock(Clock read_clock) const {
  // --faulty miscalibrated: writes as if its latency were kMiscalibrationMs longer.
  const Clock skew =
      fault_ == Fault::kMiscalibrated ? Clock{kMiscalibrationMs} * kSampleRate / 1000 : 0;
  if (ctx_.write_lag) return read_clock - *ctx_.write_lag - skew;
  if (write_end_) return *write_end_ + ctx_.n_samples;
  // The page uploads once its microphone holds a whole batch: captured from the first
  // reply's playback start (lead-in) plus the singer's latency on.
  if (!first_reply_) return std::nullopt;
  const auto ready = *first_reply_ + kLeadIn + ctx_.latency + ctx_.batch + kEncoderSlack;
  if (SteadyClock::now() < ready) return std::nullopt;
  return first_read_end_ - 2 * kCodecDelay - skew;
}

std::optional<std::uint64_t> Singer::summary_version_to_send() const {
  if (!spec(ctx_.profile).summary_version || !summary_version_) return std::nullopt;
  // As the page: paced by the larger of the listing held and the one the next summary brings.
  const std::size_t listed = std::max(listed_, connected_);
  if (SteadyClock::now() - summary_at_ >= summary_refresh_interval(listed)) return std::nullopt;
  return summary_version_;
}

void Singer::note_summary(const boost::json::object& meta, std::size_t records, bool present) {
  std::int64_t connected = 0;
  if (meta.contains("n_connected_users") &&
      client::get_int(meta, "n_connected_users", connected).ok() && connected >= 0) {
    connected_ = static_cast<std::size_t>(connected);
  }
  std::int64_t version = 0;
  if (meta.contains("user_summary_version") &&
      client::get_int(meta, "user_summary_version", version).ok() && version >= 0) {
    summary_version_ = static_cast<std::uint64_t>(version);
  }
  const auto* unchanged = meta.if_contains("user_summary_unchanged");
  if (present && !(unchanged && unchanged->is_bool() && unchanged->get_bool())) {
    listed_ = records;
    summary_at_ = SteadyClock::now();
  }
}

void Singer::build_body(Clock write_clock, std::string& body) {
  const Clock n = ctx_.n_samples;
  const auto packets = static_cast<std::size_t>(n / kOpusFrameSamples);
  if (silence_) {  // --faulty silent: Opus packets of digital silence
    const std::vector<float> zeros(kOpusFrameSamples, 0.0f);
    std::array<std::uint8_t, 4000> scratch{};
    begin_container(body, packets);
    for (std::size_t i = 0; i < packets; ++i) {
      const int bytes = silence_->encode(zeros, scratch);
      if (bytes < 0) throw codec::OpusError("opus_encode_float", bytes);
      append_packet(body,
                    std::span<const std::uint8_t>(scratch.data(), static_cast<std::size_t>(bytes)));
    }
    return;
  }
  if (!encoder_) {
    ctx_.packets->append_container(body, pool_pos_, packets);
    pool_pos_ = (pool_pos_ + packets) % ctx_.packets->size();
    return;
  }
  std::vector<float> tone;
  if (echo_) {
    tone.resize(static_cast<std::size_t>(n));
    echo_->sing(write_clock - n, ctx_.timing->echo_gain(bucket_), tone, uploaded_end_);
    uploaded_end_ = std::max(uploaded_end_, write_clock);
  } else {
    tone = client::sine(ctx_.verify_freqs[static_cast<std::size_t>(index_)], kToneAmplitude,
                        static_cast<std::size_t>(n), write_clock - n);
  }
  std::array<std::uint8_t, 4000> scratch{};
  begin_container(body, packets);
  for (std::size_t i = 0; i < packets; ++i) {
    const int bytes = encoder_->encode(
        std::span<const float>(tone).subspan(i * kOpusFrameSamples, kOpusFrameSamples), scratch);
    if (bytes < 0) throw codec::OpusError("opus_encode_float", bytes);
    append_packet(body,
                  std::span<const std::uint8_t>(scratch.data(), static_cast<std::size_t>(bytes)));
  }
}

void Singer::on_exchange(const HttpResult& r, SteadyClock::time_point sent, Clock read_clock,
                         bool carried_lead, bool carried_start, bool carried_stop) {
  const auto micros = micros_since(sent);
  SongState& song = *ctx_.song;
  auto undo_controls = [&] {
    // The request may not have reached the room: send its controls again later.
    if (carried_lead) song.lead_sent = false;
    if (carried_start) song.start_sent = false;
    if (carried_stop) song.stop_sent = false;
  };
  if (r.failure != Failure::kNone) {
    undo_controls();
    return fail(failure_kind(r.failure), micros, r.detail, kExchangeRetry,
                r.failure != Failure::kConnect);
  }
  if (r.status != 200) {
    undo_controls();
    client::ErrorReply err;
    (void)client::parse_error_header(r.x_audio_metadata, err);
    return fail("http_" + std::to_string(r.status), micros,
                err.message.empty() ? std::string(r.body.substr(0, 200)) : err.message,
                kExchangeRetry);
  }
  std::string problem;
  std::optional<int> delay_seconds;
  if (!check_reply(r, read_clock, problem, delay_seconds)) {
    undo_controls();
    return fail("protocol", micros, problem, kExchangeRetry);
  }
  ctx_.stats->ok(
      micros, true,
      Transfer{r.request_bytes, r.wire_bytes, summary_block_, r.body.size() - reply_audio_offset_});
  ++exchanges_ok_;
  ++connection_ok_;
  last_ok_ = SteadyClock::now();
  if (!first_reply_) first_reply_ = last_ok_;
  if (!counted_active_) {
    counted_active_ = true;
    ++song.active;
  }
  read_end_ = read_clock;
  reset_next_ = false;
  if (carried_start) song.start_clock = read_clock;  // the server starts the song there
  if (!running_) return;
  if (leader_ && song.stop_after && song.start_clock > 1 &&
      read_clock >= song.start_clock + *song.stop_after) {
    song.stop_wanted = true;
  }
  if (reply_server_clock_) {
    if (const auto d = drift_.observe(*reply_server_clock_ - read_clock)) {
      max_drift_ = std::max(max_drift_, static_cast<Clock>(std::llabs(*d)));
      if (ctx_.reanchor && drift_.needs_reanchor() && !delay_seconds) {
        // The server's clock is the reference: rejoin at exactly this bucket's delay.
        ++reanchors_;
        ++reconnects_;
        reanchor_due_ = due_time(k_);  // k_ was sent: the next one is due then
        return connect();
      }
    }
  }
  if (delay_seconds) {
    // Bucket assignment: reconnect at that offset (new clock, new read clock, reset).
    bucket_ = *delay_seconds;
    offset_s_ = *delay_seconds;
    uploaded_end_ = 0;  // another delay: clocks this singer has not written at
    if (echo_) echo_->reset();
    if (ctx_.timing) ctx_.timing->set_bucket(index_, bucket_);
    if (leader_) {
      song.lead_assigned = true;
      leader_reconnected_ = true;
    }
    ++reconnects_;
    backoff_ = kBackoffFirst;
    return connect();
  }
  schedule_exchange();
}

bool Singer::check_reply(const HttpResult& r, Clock read_clock, std::string& problem,
                         std::optional<int>& delay_seconds) {
  std::size_t mlen = 0;
  if (auto s = client::parse_metadata_len(r.x_audio_metadata, mlen); !s.ok()) {
    problem = "X-Audio-Metadata: " + s.message;
    return false;
  }
  if (mlen > r.body.size()) {
    problem = "metadata_len beyond the body";
    return false;
  }
  boost::json::object meta;
  if (auto s = client::parse_json_object(r.body.substr(0, mlen), meta); !s.ok()) {
    problem = "metadata: " + s.message;
    return false;
  }
  std::int64_t echoed = 0, n = 0;
  if (!client::get_int(meta, "client_read_clock", echoed).ok() ||
      !client::get_int(meta, "n_samples", n).ok()) {
    problem = "metadata lacks integer client_read_clock / n_samples";
    return false;
  }
  if (echoed != read_clock || n != ctx_.n_samples) {
    problem = "continuity: reply covers " + std::to_string(n) + " samples ending at " +
              std::to_string(echoed) + ", asked " + std::to_string(ctx_.n_samples) + " ending at " +
              std::to_string(read_clock);
    return false;
  }
  std::optional<std::int64_t> start, end, delay, first;
  if (!optional_int(meta, "server_clock", reply_server_clock_)) {
    problem = "metadata: server_clock not an integer";
    return false;
  }
  if (!optional_int(meta, "song_start_clock", start) ||
      !optional_int(meta, "song_end_clock", end) || !optional_int(meta, "delay_seconds", delay) ||
      !optional_int(meta, "first_bucket", first)) {
    problem = "metadata: song clocks / delay_seconds / first_bucket not integers";
    return false;
  }
  SongState& song = *ctx_.song;
  // In song mode the start is the read clock of our own start request (set in on_exchange): a
  // song the server reports before that belongs to someone else (e.g. an earlier run).
  if (start && *start > 1 && !song.enabled) song.start_clock = *start;
  if (end && *end > 1 && song.stop_sent) song.end_clock = *end;
  if (first) song.first_bucket = static_cast<int>(*first);
  if (delay && song.enabled) delay_seconds = static_cast<int>(*delay);
  if (const auto* token = meta.if_contains("session_token"); token && token->is_string()) {
    session_token_ = token->get_string();
  }

  // User summary: count:uint16 BE, then 51-byte records; only skipped here (cheap at 1,000).
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(r.body.data());
  std::size_t at = mlen;
  if (r.body.size() < at + 2) {
    problem = "no user summary block";
    return false;
  }
  const std::size_t records = (std::size_t{bytes[at]} << 8) | bytes[at + 1];
  summary_block_ = 2 + records * client::kSummaryRecordSize;
  at += summary_block_;
  if (r.body.size() < at) {
    problem = "user summary truncated";
    return false;
  }
  reply_audio_offset_ = at;
  note_summary(meta, records, records > 0 || !meta.contains("user_summary_unchanged"));
  PacketList list;
  if (const auto e = parse_container({bytes + at, r.body.size() - at}, list);
      e != ContainerError::kNone) {
    problem = std::string("reply audio: ") + to_string(e);
    return false;
  }
  if (static_cast<Clock>(list.count) * kOpusFrameSamples != ctx_.n_samples) {
    problem = "reply has " + std::to_string(list.count) + " packets for " +
              std::to_string(ctx_.n_samples) + " samples";
    return false;
  }
  if (!decoder_) return true;
  std::size_t got = 0;
  for (const auto& packet : list.view()) {
    if (got + codec::kMaxPacketSamples > pcm_.size()) {
      problem = "reply audio decodes to more than n_samples";
      return false;
    }
    const int samples = decoder_->decode(packet, std::span<float>(pcm_).subspan(got));
    if (samples < 0) {
      problem = "reply audio: " + codec::error_text(samples);
      return false;
    }
    got += static_cast<std::size_t>(samples);
  }
  if (static_cast<Clock>(got) != ctx_.n_samples) {
    problem = "reply audio decodes to " + std::to_string(got) + " samples";
    return false;
  }
  if (echo_) echo_->heard(read_clock - ctx_.n_samples, std::span<const float>(pcm_.data(), got));
  if (ctx_.verify) {
    const std::span<const float> block(pcm_.data(), got);
    ChunkPowers c;
    c.end = read_clock;
    for (double f : ctx_.verify_freqs)
      c.tones.push_back(static_cast<float>(client::goertzel_power(block, f)));
    for (double f : ctx_.probe_freqs)
      c.probes.push_back(static_cast<float>(client::goertzel_power(block, f)));
    chunks_.push_back(std::move(c));
  }
  return true;
}

void Singer::fail(const std::string& kind, std::int64_t micros, const std::string& detail,
                  SteadyClock::duration retry_after, bool has_latency) {
  ctx_.stats->error(kind, micros, name_ + ": " + detail, has_latency);
  if (!running_) return;
  ++reconnects_;
  reanchor_due_.reset();  // as the page: a retry is a plain connection
  if (spec(ctx_.profile).page_reconnects) {
    // The page waits before it reconnects, doubling the wait while failures go on.
    retry_after = random_between(backoff_ / 2, backoff_);
    backoff_ = std::min<SteadyClock::duration>(kBackoffMax, backoff_ * 2);
    if (connection_ok_ > 0) backoff_ = kBackoffAfterOk;
  }
  connection_ok_ = 0;
  connect_after(retry_after);
}

void Singer::connect_after(SteadyClock::duration wait) {
  timer_.expires_after(wait);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && running_) connect();
  });
}

SteadyClock::time_point Singer::due_time(std::uint64_t k) const {
  // A singer whose clock runs fast (--clock-drift-ppm) sends each batch early in real time.
  return base_ + std::chrono::duration_cast<SteadyClock::duration>(static_cast<double>(k) *
                                                                   ctx_.batch / ctx_.clock_rate);
}

SteadyClock::duration Singer::first_exchange_wait() {
  // As the page (web/reconnect.js). A new connection waits a random part of a batch, so that
  // connections started by one burst of replies do not send together. A re-anchor goes when
  // its old connection's next exchange was due: its reads go on without a gap, and singers
  // that re-anchor at the same instant (late replies near capacity look like drift) keep
  // their own phases.
  constexpr auto zero = SteadyClock::duration::zero();
  const auto due = std::exchange(reanchor_due_, std::nullopt);
  if (!spec(ctx_.profile).page_reconnects) return zero;
  if (due) return std::clamp(*due - steady_ref_, zero, ctx_.batch);
  return random_between(zero, ctx_.batch);
}

SteadyClock::duration Singer::random_between(SteadyClock::duration from, SteadyClock::duration to) {
  if (to <= from) return from;
  std::uniform_int_distribution<SteadyClock::rep> pick(from.count(), to.count() - 1);
  return SteadyClock::duration(pick(rng_));
}

}  // namespace brigade::loadtest
