// brigade fuzzing: an exchange request from query and body to the room.
#include <cmath>
#include <string_view>
#include <vector>

#include "api_request.hpp"
#include "brigade/engine/room.hpp"
#include "fuzz_target.hpp"
#include "query.hpp"

namespace brigade::fuzz {
namespace {

/// The room's clock: fixed, so the seed corpus's clocks stay near "now".
constexpr Clock kNow = 86'400'000'000'000;

bool in_range(double v, double lo, double hi) {
  return v >= lo && v <= hi;  // false for NaN
}

void check_ranges(const ExchangeRequest& r, std::string_view body, std::string_view audio) {
  using namespace server;
  BRIGADE_FUZZ_CHECK(r.read_clock >= 0 && r.read_clock <= kMaxClock);
  BRIGADE_FUZZ_CHECK(!r.write_clock || (*r.write_clock >= 0 && *r.write_clock <= kMaxClock));
  BRIGADE_FUZZ_CHECK(r.n_samples >= 0 && r.n_samples <= kMaxExchangeSamples);
  BRIGADE_FUZZ_CHECK(r.n_samples % kOpusFrameSamples == 0);
  BRIGADE_FUZZ_CHECK(audio.size() <= body.size());
  BRIGADE_FUZZ_CHECK(body.size() - audio.size() <= kMaxJsonPrefixBytes);
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
  ExchangeRequest request;
  ExchangeResult result;
  PacketList packets;
};

}  // namespace

Outcome exchange_input(Input data) {
  static World w;  // one room for the whole run: 80 MB of rings, made once
  const std::string_view all(reinterpret_cast<const char*>(data.data()), data.size());
  const std::size_t newline = std::min(all.find('\n'), all.size());
  const std::string_view raw_query = all.substr(0, newline);
  const std::string_view body = all.substr(std::min(newline + 1, all.size()));
  thread_local server::Query query;
  if (query.parse(raw_query)) return Outcome::kRefused;
  std::string_view audio;
  if (const char* error = server::decode_exchange(query, body, w.request, audio)) {
    BRIGADE_FUZZ_CHECK(*error != '\0');
    return Outcome::kRefused;
  }
  check_ranges(w.request, body, audio);
  if (!audio.empty()) {
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(audio.data()), audio.size());
    if (parse_container(bytes, w.packets) != ContainerError::kNone) return Outcome::kRefused;
  }
  // The room sees the typed request as the exchange service hands it over (silence as upload).
  const auto n = static_cast<std::size_t>(w.request.n_samples);
  const ExchangeBuffers buffers{std::span(w.audio).first(n), std::span(w.backing).first(n),
                                std::span(w.writers).first(n)};
  const ExchangeOutcome outcome =
      w.room.exchange(w.request, std::span(w.upload).first(n), buffers, w.result);
  if (!outcome.ok()) {
    BRIGADE_FUZZ_CHECK(outcome.reason != Refusal::kNone);
    return Outcome::kRefused;
  }
  // Accepted clocks read and write inside the ring, never in the future.
  const Clock r = w.request.read_clock;
  BRIGADE_FUZZ_CHECK(r <= kNow && r - w.request.n_samples >= kNow - kRingSamples);
  BRIGADE_FUZZ_CHECK(w.result.server_clock == kNow && w.result.n_samples == w.request.n_samples);
  if (w.request.write_clock) BRIGADE_FUZZ_CHECK(*w.request.write_clock <= kNow);
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
