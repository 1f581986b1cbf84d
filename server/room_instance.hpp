// brigade: one room of the server, whole: its ring and singers (Room), backing tracks,
// recordings, stems, the Router that answers its requests and the Recorder that writes its
// songs. Rooms share nothing but the process (I/O threads, upload worker, connection limits).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "brigade/engine/clock.hpp"
#include "brigade/engine/room.hpp"
#include "brigade/storage/recording_store.hpp"
#include "brigade/storage/track_library.hpp"
#include "recorder.hpp"
#include "router.hpp"
#include "stem_queue.hpp"
#include "ws_push.hpp"

namespace brigade::server {

/// Everything a room is made from. The directory fills in the folders and the admin token of
/// each room (RoomDirectory::settings_for).
struct RoomSettings {
  RoomConfig room;  ///< operators_exist is derived from the admin token
  std::filesystem::path tracks_dir;
  TrackStorageLimits track_limits;
  std::filesystem::path recordings_dir;
  int keep_recordings = 20;
  std::uintmax_t max_recordings_bytes = std::uintmax_t{2048} << 20;
  bool stems = true;
  /// exchange.admin_token is this room's token; exchange.stems is set by the instance.
  RouterConfig router;
};

class RoomInstance {
 public:
  /// Allocates the rings (~81 MB), creates the folders and starts the recorder. Throws
  /// std::exception when a folder cannot be made.
  RoomInstance(std::string name, const SampleClock& clock, RoomSettings settings);
  ~RoomInstance();
  RoomInstance(const RoomInstance&) = delete;
  RoomInstance& operator=(const RoomInstance&) = delete;

  const std::string& name() const { return name_; }
  Room& room() { return room_; }
  Router& router() { return *router_; }
  /// The summary push shared by the room's pushing WebSockets.
  SummaryPushCache& summary_push() { return summary_push_; }
  /// Singers active now (heard from within kUserActiveSamples).
  int singers() { return room_.status().n_connected_users; }

  /// Notes a request (directory clock, steady): the idle time counts from the last one.
  void touch(std::chrono::steady_clock::time_point now) {
    last_used_ns_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  }
  /// True when nothing needs the room: no active singer, no song running or being finished, no
  /// recording open, and no request for `idle` up to `now`.
  bool idle(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration idle);

 private:
  const std::string name_;
  Room room_;
  TrackLibrary tracks_;
  RecordingStore recordings_;
  std::unique_ptr<StemQueue> stems_;  ///< null with --no-stems
  std::unique_ptr<Router> router_;
  std::unique_ptr<Recorder> recorder_;
  std::atomic<std::chrono::steady_clock::rep> last_used_ns_{0};
  SummaryPushCache summary_push_;
};

}  // namespace brigade::server
