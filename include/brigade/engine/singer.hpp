// brigade: one person in the room: the one record the server keeps about a singer (the roster
// holds them; see roster.hpp). "Singer" is the one name for this concept: the debug chart's
// SingerView is a copy of one, client::Singer and loadtest::Singer simulate one.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "brigade/engine/clock.hpp"
#include "brigade/engine/exchange.hpp"

namespace brigade {

/// What the server keeps beside a singer's room state (its codecs, session token and rate
/// budgets: server/singer_session.hpp). The engine only owns it: it knows nothing of codecs,
/// and so may stay free of them (src/engine/README.md).
class SingerAttachment {
 public:
  virtual ~SingerAttachment() = default;
};

struct Singer {
  UserId id = 0;
  std::string name;
  /// Last request of any kind for this id (eviction and expiry).
  Clock last_seen = 0;
  /// An exchange admitted this id at least once (a record made only to hold the attachment of
  /// a refused or not yet served request is not a singer in the room).
  bool joined = false;
  Clock last_heard = 0;  ///< last admitted exchange (presence)
  Clock delay_samples = 0;
  std::optional<Clock> last_read;       ///< continuity; forgotten on reset_user_state
  std::optional<Clock> last_write;      ///< continuity; forgotten on reset_user_state
  std::optional<Clock> last_write_any;  ///< end of the newest upload ever (song end)
  Interval read_window;
  std::optional<Interval> write_window;
  double mic_volume = 1.0;    ///< console value 0..2
  float gain = 1.0f;          ///< mic_gain(mic_volume)
  double user_backing = 1.0;  ///< scalar
  float rms = 0.0f;
  bool muted = false;
  bool spectator = false;
  bool soloed = false;
  bool listening = false;  ///< last request listened to the solo mix
  bool headphones = true;
  bool present = false;  ///< joined and not yet reported as left
  PendingKeys pending;
  /// The server's per-singer state, made on the first request (see Room::attachment).
  std::shared_ptr<SingerAttachment> attachment;
};

}  // namespace brigade
