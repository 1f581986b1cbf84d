// brigade: the exchange pipeline.
#include "exchange_service.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "api_request.hpp"
#include "brigade/packet_container.hpp"
#include "reply_metadata.hpp"

namespace brigade::server {
namespace {

/// Per-thread buffers, sized once for the largest exchange: a request is handled start to end
/// on one thread, so nothing here is shared and nothing is allocated per request.
struct Scratch {
  ExchangeRequest request;
  ExchangeResult result;
  PacketList packets;
  std::vector<float> upload =
      std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples) + codec::kMaxPacketSamples);
  std::vector<float> audio = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<float> backing = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<WriterCount> writers =
      std::vector<WriterCount>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

unsigned http_status(ExchangeStatus s) {
  switch (s) {
    case ExchangeStatus::kOk:
      return 200;
    case ExchangeStatus::kBadRequest:
      return 400;
    case ExchangeStatus::kForbidden:
      return 403;
    case ExchangeStatus::kConflict:
      return 409;
    case ExchangeStatus::kRoomFull:
      return 503;
  }
  return 500;
}

// Decodes the container into s.upload; returns the sample count or sets `error`.
Clock decode_upload(Singer& singer, std::span<const std::uint8_t> audio, Scratch& s,
                    std::string& error) {
  if (auto e = parse_container(audio, s.packets); e != ContainerError::kNone) {
    error = to_string(e);
    return -1;
  }
  std::size_t total = 0;
  for (const auto packet : s.packets.view()) {
    if (total + codec::kMaxPacketSamples > s.upload.size()) {
      error = "upload longer than 3 s";
      return -1;
    }
    const int n = singer.decoder.decode(packet, std::span(s.upload).subspan(total));
    if (n < 0) {
      error = "bad Opus packet: " + codec::error_text(n);
      return -1;
    }
    total += static_cast<std::size_t>(n);
  }
  if (total > static_cast<std::size_t>(kMaxExchangeSamples)) {
    error = "upload longer than 3 s";
    return -1;
  }
  return static_cast<Clock>(total);
}

}  // namespace

std::shared_ptr<const std::vector<float>> ExchangeService::load_track(const std::string& name,
                                                                      std::string& error) {
  if (!tracks_) {
    error = "this server has no backing tracks";
    return nullptr;
  }
  std::lock_guard lock(track_mutex_);
  if (cached_track_ && cached_track_name_ == name) return cached_track_;
  auto loaded = tracks_->load(name);
  if (!loaded) {
    error = "cannot use track: " + loaded.error();
    return nullptr;
  }
  cached_track_name_ = name;
  cached_track_ = loaded.value();
  return cached_track_;
}

ApiResponse ExchangeService::exchange(const Query& query, std::string_view body,
                                      std::string_view admin_header) {
  Scratch& s = scratch();
  ExchangeRequest& req = s.request;
  std::string_view audio;
  if (const char* e = decode_exchange(query, body, req, audio)) return error_response(400, e);
  req.admin = is_admin(query.get("admin_token"), admin_header);
  req.holds_admin_token = req.admin && !admin_token_.open();
  req.controls.track_samples.reset();
  if (req.controls.track && req.admin) {
    std::string error;
    req.controls.track_samples = load_track(*req.controls.track, error);
    if (!req.controls.track_samples) return error_response(400, error);
  }
  const auto audio_bytes =
      std::span(reinterpret_cast<const std::uint8_t*>(audio.data()), audio.size());

  const std::shared_ptr<Singer> singer = singers_.get(req.user_id, room_.now());
  std::lock_guard singer_lock(singer->mutex);
  if (req.reset_user_state) singer->reset();
  auto fail = [&](unsigned status, std::string_view message) {
    singer->reset();
    return error_response(status, message);
  };

  // Decode (outside the room lock).
  Clock n = req.n_samples;
  if (audio_bytes.empty()) {
    if (n == 0) return fail(400, "n_samples is required when no audio is sent");
    std::fill_n(s.upload.begin(), n, 0.0f);
  } else {
    std::string error;
    const auto decode_start = std::chrono::steady_clock::now();
    const Clock decoded = decode_upload(*singer, audio_bytes, s, error);
    if (metrics_) metrics_->add_decode(std::chrono::steady_clock::now() - decode_start);
    if (decoded < 0) return fail(400, error);
    if (n != 0 && n != decoded) return fail(400, "n_samples differs from the decoded audio length");
    if (decoded == 0 || decoded % kOpusFrameSamples != 0) {
      return fail(400, "uploaded audio is not a whole number of 60 ms frames");
    }
    n = decoded;
    req.n_samples = n;
  }
  const auto size = static_cast<std::size_t>(n);
  const std::span<const float> upload(s.upload.data(), size);

  // The room: clear, apply, mix, read (under its lock, microseconds).
  ExchangeResult& result = s.result;
  const ExchangeBuffers buffers{std::span(s.audio).first(size), std::span(s.backing).first(size),
                                std::span(s.writers).first(size)};
  if (auto outcome = room_.exchange(req, upload, buffers, result); !outcome.ok()) {
    return fail(http_status(outcome.status), outcome.message);
  }

  // Produce the reply PCM from the copies, then encode it (outside the lock).
  switch (result.source) {
    case ReplySource::kMix:
      render_reply(buffers.audio, buffers.backing, buffers.writers, result.levels);
      break;
    case ReplySource::kSolo:
      break;
    case ReplySource::kLoopback:
      std::transform(upload.begin(), upload.end(), buffers.audio.begin(),
                     [g = result.loopback_gain](float x) { return x * g; });
      break;
    case ReplySource::kSilence:
      std::fill(buffers.audio.begin(), buffers.audio.end(), 0.0f);
      break;
  }

  ApiResponse response;
  std::string& out = response.body;
  const std::size_t packets = size / kOpusFrameSamples;
  const std::size_t summary_bytes = result.summary ? result.summary->size() : 2;
  out.reserve(1024 + summary_bytes + packets * 512);
  append_reply_metadata(out, result);
  const std::size_t metadata_len = out.size();
  if (result.summary) {
    out += *result.summary;
  } else {
    out.append(2, '\0');  // always present: the client parses it unconditionally
  }
  const auto encode_start = std::chrono::steady_clock::now();
  const bool shareable =
      config_.share_encoders && req.read_clock % kOpusFrameSamples == 0 &&
      (result.source == ReplySource::kMix || result.source == ReplySource::kSilence);
  if (shareable) {
    if (!singer->share_delay_seconds) {
      singer->share_delay_seconds =
          (result.server_clock - req.read_clock + kSampleRate / 2) / kSampleRate;
    }
    const ShareKey key{*singer->share_delay_seconds, result.levels.user_backing};
    const std::int64_t first_frame = (req.read_clock - n) / kOpusFrameSamples;
    if (!shared_.append_packets(key, first_frame, buffers.audio, singer->encoder, out,
                                result.server_clock / kSampleRate)) {
      return fail(500, "Opus encoder failed");
    }
  } else {
    begin_container(out, packets);
    for (std::size_t i = 0; i < packets; ++i) {
      const int bytes = singer->encoder.encode(
          std::span<const float>(buffers.audio).subspan(i * kOpusFrameSamples, kOpusFrameSamples),
          s.packet);
      if (bytes < 0) return fail(500, "Opus encoder failed: " + codec::error_text(bytes));
      append_packet(out, std::span(s.packet).first(static_cast<std::size_t>(bytes)));
    }
  }
  if (metrics_) metrics_->add_encode(std::chrono::steady_clock::now() - encode_start);
  response.audio_metadata = "{\"metadata_len\": ";
  append_json_int(response.audio_metadata, static_cast<long long>(metadata_len));
  response.audio_metadata += "}";
  return response;
}

ApiResponse ExchangeService::status() {
  const RoomStatus st = room_.status();
  ApiResponse r;
  r.body = "{\"n_connected_users\": ";
  append_json_int(r.body, st.n_connected_users);
  r.body += ", \"max_users\": ";
  append_json_int(r.body, st.max_users);
  r.body += "}";
  r.audio_metadata = "{\"metadata_len\": ";
  append_json_int(r.audio_metadata, static_cast<long long>(r.body.size()));
  r.audio_metadata += "}";
  return r;
}

}  // namespace brigade::server
