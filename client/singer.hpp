// brigade client: one simulated singer speaking the API over HTTP, as the browser does:
// GET the clock, read `offset` behind it, advance read (and write) clocks by exactly n_samples
// per exchange, Opus-encode uploads and decode replies with a persistent codec pair.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "client/api_wire.hpp"
#include "client/http_client.hpp"
#include "client/tone.hpp"
#include "client/ws_client.hpp"

namespace brigade::client {

/// What one exchange returned: the HTTP status, the parsed reply (status 200 only), the
/// decoded PCM and, for errors, the X-Audio-Metadata error fields.
struct SingerReply {
  HttpResponse http;
  ExchangeReply reply;
  std::vector<float> pcm;  ///< decoded reply audio, n_samples long on success
  ErrorReply error;        ///< filled for non-200 replies
  std::string problem;     ///< why the reply is unusable; empty when it is a good 200
  bool ok() const { return problem.empty(); }
};

/// The local sample clock (same machine as the server): floor(unix seconds * 48000).
Clock local_clock_now();

/// Sleeps until local_clock_now() >= clock (plus a small margin), so a read never reaches
/// into the server's future.
void wait_for_clock(Clock clock);

class Singer {
 public:
  Singer(HttpClient& http, std::uint64_t userid, std::string name, std::string api_path = "/api");
  /// The same singer over a WebSocket: each exchange (and the clock) is one message.
  Singer(WsClient& ws, std::uint64_t userid, std::string name);

  /// GETs the clock and makes the next read END `offset_seconds` behind it (rounded down to a
  /// whole 60 ms frame), so the server sees a delay of `offset_seconds`; the next exchange
  /// carries reset_user_state. Returns the server clock.
  Clock connect(double offset_seconds);

  /// Makes the next read end at `read_clock` (next exchange resets, as after connect).
  void start_at(Clock read_clock);

  /// One exchange of `n_samples`: reads [read_clock, read_clock + n); when `upload` is set
  /// (n_samples long) it is encoded and written at the same interval, i.e. the write clock
  /// equals the read clock (a singer with zero latency). Waits in real time if the read would
  /// reach into the future. On success the clocks advance by n_samples.
  SingerReply exchange(Clock n_samples, const std::vector<float>* upload = nullptr,
                       ExchangeParams extra = {});

  /// End clock of the interval the next exchange of `n_samples` reads.
  Clock next_read_clock(Clock n_samples) const {
    return first_end_ ? *first_end_ : read_clock_ + n_samples;
  }
  std::uint64_t id() const { return id_; }

  /// Echo the session token from now on, as our page does (the next reset asks for one).
  void use_session_token() { session_token_ = "new"; }
  const std::optional<std::string>& session_token() const { return session_token_; }

 private:
  HttpResponse get_clock();
  HttpResponse post(std::string_view target, std::string_view body);

  HttpClient* http_ = nullptr;  ///< one of the two transports
  WsClient* ws_ = nullptr;
  std::uint64_t id_;
  std::string name_;
  std::string path_;
  Clock read_clock_ = 0;            ///< end of the last read interval
  std::optional<Clock> first_end_;  ///< end of the first read after (re)connecting
  bool reset_ = true;
  std::optional<std::string> session_token_;  ///< set by use_session_token()
  OpusPipe codec_;
};

}  // namespace brigade::client
