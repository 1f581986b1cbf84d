// brigade fuzzing: an exchange request from query and body to the room.
#include <cmath>
#include <string_view>
#include <vector>

#include "brigade/engine/room.hpp"
#include "fuzz_target.hpp"
#include "wire/exchange_request.hpp"

namespace brigade::fuzz {
namespace {

/// The room's clock: fixed, so the seed corpus's clocks stay near "now".
constexpr Clock kNow = 86'400'000'000'000;

bool in_range(double v, double lo, double hi) {
  return v >= lo && v <= hi;  // false for NaN
}

void check_ranges(const ExchangeRequest& r, std::string_view body, const PacketList& packets) {
  using namespace server;
  BRIGADE_FUZZ_CHECK(r.read_clock >= 0 && r.read_clock <= kMaxClock);
  BRIGADE_FUZZ_CHECK(!r.write_clock || (*r.write_clock >= 0 && *r.write_clock <= kMaxClock));
  BRIGADE_FUZZ_CHECK(r.n_samples >= 0 && r.n_samples <= kMaxExchangeSamples);
  BRIGADE_FUZZ_CHECK(r.n_samples % kOpusFrameSamples == 0);
  BRIGADE_FUZZ_CHECK(r.n_samples > 0);  // settled: from the query or from the audio
  std::size_t audio_bytes = packets.count > 0 ? 1 : 0;
  for (const auto p : packets.view()) audio_bytes += 2 + p.size();
  BRIGADE_FUZZ_CHECK(audio_bytes <= body.size());
  BRIGADE_FUZZ_CHECK(body.size() - audio_bytes <= kMaxJsonPrefixBytes);
  BRIGADE_FUZZ_CHECK(valid_utf8(r.name));
  const RoomControls& c = r.controls;
  for (const auto* v : {&r.user_backing_volume, &c.volume, &c.backing_volume}) {
    BRIGADE_FUZZ_CHECK(!*v || in_range(**v, 0.0, kMaxFriendlyVolume));
  }
  BRIGADE_FUZZ_CHECK(!c.bpm || (*c.bpm >= 0 && *c.bpm <= kMaxBpm));
  BRIGADE_FUZZ_CHECK(!c.repeats || (*c.repeats >= 0 && *c.repeats <= kMaxRepeats));
  BRIGADE_FUZZ_CHECK(!c.bpr || (*c.bpr >= 0 && *c.bpr <= kMaxBpr));
  BRIGADE_FUZZ_CHECK(!c.track || (c.track->size() <= kMaxTrackNameBytes && valid_utf8(*c.track)));
  for (const auto& line : c.chat) BRIGADE_FUZZ_CHECK(line.size() <= kMaxChatBytes);
  for (const auto& [id, level] : c.mic_volume) {
    BRIGADE_FUZZ_CHECK(in_range(level, 0.0, kMaxMicVolume));
  }
  for (const auto& e : c.event_data) BRIGADE_FUZZ_CHECK(e.clock >= 0 && e.clock <= kMaxClock);
  BRIGADE_FUZZ_CHECK(!c.lyrics || valid_utf8(*c.lyrics));
}

struct World {
  ManualSampleClock clock{kNow};
  Room room{clock, RoomConfig{.max_users = 4, .seed = 1}};
  std::vector<float> upload = std::vector<float>(static_cast<std::size_t>(kMaxExchangeSamples));
  std::vector<float> audio = upload, backing = upload;
  std::vector<WriterCount> writers =
      std::vector<WriterCount>(static_cast<std::size_t>(kMaxExchangeSamples));
  server::wire::DecodedRequest request;
  server::AdminToken admin_token{""};
  ExchangeResult result;
};

}  // namespace

Outcome exchange_input(Input data) {
  static World w;  // one room for the whole run: 80 MB of rings, made once
  const std::string_view all(reinterpret_cast<const char*>(data.data()), data.size());
  const std::size_t newline = std::min(all.find('\n'), all.size());
  const std::string_view raw_query = all.substr(0, newline);
  const std::string_view body = all.substr(std::min(newline + 1, all.size()));
  if (auto error = server::wire::decode_request(raw_query, body, {}, w.admin_token, w.request)) {
    BRIGADE_FUZZ_CHECK(!error->message.empty() && error->status == 400);
    return Outcome::kRefused;
  }
  if (w.request.kind != server::wire::RequestKind::kExchange) return Outcome::kAccepted;
  const ExchangeRequest& request = w.request.exchange;
  check_ranges(request, body, w.request.packets);
  // The room sees the typed request as the exchange service hands it over (silence as upload).
  const auto n = static_cast<std::size_t>(request.n_samples);
  const ExchangeBuffers buffers{std::span(w.audio).first(n), std::span(w.backing).first(n),
                                std::span(w.writers).first(n)};
  const ExchangeOutcome outcome =
      w.room.exchange(request, std::span(w.upload).first(n), buffers, w.result);
  if (!outcome.ok()) {
    BRIGADE_FUZZ_CHECK(outcome.reason != Refusal::kNone);
    return Outcome::kRefused;
  }
  // Accepted clocks read and write inside the ring, never in the future.
  const Clock r = request.read_clock;
  BRIGADE_FUZZ_CHECK(r <= kNow && r - request.n_samples >= kNow - kRingSamples);
  BRIGADE_FUZZ_CHECK(w.result.server_clock == kNow && w.result.n_samples == request.n_samples);
  if (request.write_clock) BRIGADE_FUZZ_CHECK(*request.write_clock <= kNow);
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
