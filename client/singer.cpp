// brigade client: simulated singer (see singer.hpp).
#include "client/singer.hpp"

#include <chrono>
#include <thread>

#include "brigade/engine/clock.hpp"

namespace brigade::client {
namespace {

/// Margin kept between a read's end and "now", absorbing rounding and scheduling: 10 ms.
constexpr Clock kFutureMargin = kSampleRate / 100;

}  // namespace

Clock local_clock_now() {
  return clock_from_time_point(std::chrono::system_clock::now());
}

void wait_for_clock(Clock clock) {
  for (;;) {
    const Clock left = clock + kFutureMargin - local_clock_now();
    if (left <= 0) return;
    std::this_thread::sleep_for(std::chrono::microseconds(left * 1'000'000 / kSampleRate + 1));
  }
}

Singer::Singer(HttpClient& http, std::uint64_t userid, std::string name, std::string api_path)
    : http_(&http), id_(userid), name_(std::move(name)), path_(std::move(api_path)) {}

Singer::Singer(WsClient& ws, std::uint64_t userid, std::string name)
    : ws_(&ws), id_(userid), name_(std::move(name)), path_("/api") {}

HttpResponse Singer::get_clock() {
  return ws_ ? ws_->get(path_) : http_->get(path_);
}

HttpResponse Singer::post(std::string_view target, std::string_view body) {
  return ws_ ? ws_->post(target, body) : http_->post(target, body);
}

Clock Singer::connect(double offset_seconds) {
  const HttpResponse res = get_clock();
  ClockReply clock;
  if (res.status != 200) throw HttpError("clock GET returned " + std::to_string(res.status));
  if (auto s = parse_clock_reply(res.header("X-Audio-Metadata"), clock); !s.ok())
    throw HttpError("clock GET: " + s.message);
  const Clock target = clock.server_clock - clock_from_seconds(offset_seconds);
  start_at(target - target % kOpusFrameSamples);
  return clock.server_clock;
}

void Singer::start_at(Clock read_clock) {
  first_end_ = read_clock;
  reset_ = true;
  codec_.reset();
}

SingerReply Singer::exchange(Clock n_samples, const std::vector<float>* upload,
                             ExchangeParams params) {
  SingerReply out;
  const Clock end = next_read_clock(n_samples);
  params.userid = id_;
  params.read_clock = end;
  params.n_samples = n_samples;
  params.username = name_;
  params.reset_user_state = params.reset_user_state || reset_;
  if (session_token_ && !params.session_token) params.session_token = *session_token_;
  std::string body;
  if (upload != nullptr) {
    params.write_clock = end;
    const auto packets = codec_.encode(*upload);
    body = build_body("", packets);
  }
  wait_for_clock(end);
  out.http = post(exchange_target(params, path_), body);
  if (out.http.status != 200) {
    out.problem = "HTTP " + std::to_string(out.http.status) + ": " + out.http.body;
    (void)parse_error_header(out.http.header("X-Audio-Metadata"), out.error);
    return out;
  }
  if (auto s = parse_exchange_reply(out.http.header("X-Audio-Metadata"), out.http.body, out.reply);
      !s.ok()) {
    out.problem = s.message;
    return out;
  }
  try {
    out.pcm = codec_.decode(out.reply.packets);
  } catch (const std::exception& e) {
    out.problem = std::string("reply audio: ") + e.what();
    return out;
  }
  if (out.reply.client_read_clock != end || out.reply.n_samples != n_samples ||
      static_cast<Clock>(out.pcm.size()) != n_samples) {
    out.problem = "reply covers " + std::to_string(out.reply.n_samples) + " samples ending at " +
                  std::to_string(out.reply.client_read_clock) + " (decoded " +
                  std::to_string(out.pcm.size()) + "), asked " + std::to_string(n_samples) +
                  " ending at " + std::to_string(end);
    return out;
  }
  if (session_token_ && out.reply.session_token) session_token_ = out.reply.session_token;
  read_clock_ = end;
  first_end_.reset();
  reset_ = false;
  return out;
}

}  // namespace brigade::client
