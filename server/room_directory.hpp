// brigade: the rooms of one server by name. The default room always exists (it answers at the
// bare / and /api); named rooms are made on first use (or only those of a configured list), at
// most max_rooms of them, and released when idle so their memory (~81 MB of rings each) returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "room_instance.hpp"

namespace brigade::server {

/// Default of --max-rooms: named rooms open at once, besides the default room (~81 MB each).
inline constexpr std::size_t kDefaultMaxRooms = 8;
/// Default of --room-idle-seconds: a named room with nobody in it for this long is released.
inline constexpr std::chrono::seconds kDefaultRoomIdle{300};

struct RoomDirectoryConfig {
  std::size_t max_rooms = kDefaultMaxRooms;  ///< named rooms open at once (0: none)
  /// When not empty, the only names a room may have (--room); else any valid name.
  std::vector<std::string> allowed;
  std::chrono::steady_clock::duration idle_time = kDefaultRoomIdle;
  /// Admin tokens of single rooms (--room-admin-token NAME=TOKEN); others use the server's.
  std::map<std::string, std::string, std::less<>> admin_tokens;
};

/// Where the directory's idle time comes from; tests inject their own.
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

class RoomDirectory {
 public:
  /// `base`: the default room's settings; named rooms get subfolders of its folders.
  /// Throws when the default room cannot be made.
  RoomDirectory(const SampleClock& clock, RoomSettings base, RoomDirectoryConfig config,
                SteadyNow now = &std::chrono::steady_clock::now);
  ~RoomDirectory();

  RoomInstance& default_room() { return *default_; }

  /// A named room's instance, or why there is none: 400 (bad name), 404 (not in the configured
  /// list), 503 (max_rooms open), 500 (its folders could not be made).
  struct Lookup {
    std::shared_ptr<RoomInstance> room;
    unsigned status = 200;
    std::string message;
  };
  /// Finds `name` (kDefaultRoomName is the default room) or makes it; notes the request for
  /// the idle time. A new room is built outside the directory's lock: other rooms' requests
  /// never wait for its rings.
  Lookup find_or_create(std::string_view name);

  /// Releases every named room idle for the idle time (RoomInstance::idle); returns how many.
  /// Their memory is freed once the last request holding one has finished.
  std::size_t release_idle();
  /// Sweeps departures and logs events of every named room (the drain's housekeeping does the
  /// default room), and passes the default room's draining state on to them.
  void housekeeping();

  /// SIGTERM: every room, and every room made from now on, refuses new singers.
  void start_draining();

  /// Every open room, the default room first, then by name. The pointers keep a room alive
  /// while the caller uses it, even if it is released meanwhile.
  std::vector<std::shared_ptr<RoomInstance>> open_rooms();

  struct RoomInfo {
    std::string name;
    int singers = 0;
    SongPhase phase = SongPhase::kIdle;
    std::uint64_t requests = 0;
  };
  /// Every open room, the default room first, then by name.
  std::vector<RoomInfo> list();

  /// The folders and admin token room `name` is made with.
  RoomSettings settings_for(std::string_view name) const;

  std::size_t max_rooms() const { return config_.max_rooms; }
  bool listed_only() const { return !config_.allowed.empty(); }
  std::uint64_t created() const { return created_.load(std::memory_order_relaxed); }
  std::uint64_t released() const { return released_.load(std::memory_order_relaxed); }
  std::uint64_t refused_full() const { return refused_full_.load(std::memory_order_relaxed); }

 private:
  bool allowed(std::string_view name) const;

  const SampleClock& clock_;
  const RoomSettings base_;
  const RoomDirectoryConfig config_;
  const SteadyNow now_;
  std::shared_ptr<RoomInstance> default_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RoomInstance>, std::less<>> rooms_;  ///< named, guarded
  std::size_t being_made_ = 0;  ///< guarded: rooms under construction count against the cap
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> released_{0};
  std::atomic<std::uint64_t> refused_full_{0};
};

}  // namespace brigade::server
