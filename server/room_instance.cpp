// brigade: one room.
#include "room_instance.hpp"

namespace brigade::server {
namespace {

RoomConfig room_config(const RoomSettings& s) {
  RoomConfig c = s.room;
  c.operators_exist = !s.router.exchange.admin_token.empty();
  return c;
}

}  // namespace

RoomInstance::RoomInstance(std::string name, const SampleClock& clock, RoomSettings settings)
    : name_(std::move(name)),
      room_(clock, room_config(settings)),
      tracks_(settings.tracks_dir, settings.track_limits),
      recordings_(settings.recordings_dir, settings.keep_recordings,
                  settings.max_recordings_bytes) {
  if (settings.stems) stems_ = std::make_unique<StemQueue>();
  settings.router.exchange.stems = stems_.get();
  router_ = std::make_unique<Router>(room_, &tracks_, &recordings_, std::move(settings.router));
  recorder_ = std::make_unique<Recorder>(room_, recordings_, &router_->metrics(), stems_.get());
  recorder_->start();
}

RoomInstance::~RoomInstance() {
  recorder_->stop();  // finishes an open recording before the room goes
}

bool RoomInstance::idle(std::chrono::steady_clock::time_point now,
                        std::chrono::steady_clock::duration idle_time) {
  const auto last = std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(last_used_ns_.load(std::memory_order_relaxed)));
  if (now - last < idle_time) return false;
  const RoomStatus st = room_.status();
  if (st.n_connected_users > 0) return false;
  if (st.song_phase == SongPhase::kSinging || st.song_phase == SongPhase::kFinishing) return false;
  return !recordings_.current().has_value();
}

}  // namespace brigade::server
