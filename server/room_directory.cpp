// brigade: the rooms by name.
#include "room_directory.hpp"

#include <algorithm>

#include "log.hpp"
#include "room_log.hpp"
#include "room_name.hpp"

namespace brigade::server {
namespace {

/// Named rooms' folders sit here, below the default room's recordings and tracks folders.
constexpr std::string_view kRoomsSubfolder = "rooms";

}  // namespace

RoomDirectory::RoomDirectory(const SampleClock& clock, RoomSettings base,
                             RoomDirectoryConfig config, SteadyNow now)
    : clock_(clock), base_(std::move(base)), config_(std::move(config)), now_(std::move(now)) {
  default_ = std::make_shared<RoomInstance>(std::string(kDefaultRoomName), clock_,
                                            settings_for(kDefaultRoomName));
}

RoomDirectory::~RoomDirectory() = default;

RoomSettings RoomDirectory::settings_for(std::string_view name) const {
  RoomSettings s = base_;
  if (name == kDefaultRoomName) return s;
  s.recordings_dir = base_.recordings_dir / kRoomsSubfolder / name;
  s.tracks_dir = base_.tracks_dir / kRoomsSubfolder / name;
  if (auto it = config_.admin_tokens.find(name); it != config_.admin_tokens.end()) {
    s.router.exchange.admin_token = it->second;
  }
  return s;
}

bool RoomDirectory::allowed(std::string_view name) const {
  return config_.allowed.empty() ||
         std::find(config_.allowed.begin(), config_.allowed.end(), name) != config_.allowed.end();
}

RoomDirectory::Lookup RoomDirectory::find_or_create(std::string_view name) {
  const auto now = now_();
  if (name == kDefaultRoomName) {
    default_->touch(now);
    return Lookup{default_, 200, {}};
  }
  if (const char* bad = room_name_error(name)) return Lookup{nullptr, 400, bad};
  if (!allowed(name)) return Lookup{nullptr, 404, "no such room on this server"};
  {
    std::lock_guard lock(mutex_);
    if (auto it = rooms_.find(name); it != rooms_.end()) {
      it->second->touch(now);
      return Lookup{it->second, 200, {}};
    }
    if (rooms_.size() + being_made_ >= config_.max_rooms) {
      refused_full_.fetch_add(1, std::memory_order_relaxed);
      return Lookup{nullptr, 503,
                    "this server has its most rooms open (--max-rooms " +
                        std::to_string(config_.max_rooms) + "); try again later"};
    }
    ++being_made_;
  }
  // The rings (~81 MB) are allocated and zeroed here, outside the lock.
  std::shared_ptr<RoomInstance> made;
  std::string error;
  try {
    made = std::make_shared<RoomInstance>(std::string(name), clock_, settings_for(name));
    made->touch(now);
    made->router().readiness().set_listening(true);
    if (default_->router().readiness().draining()) made->router().readiness().start_draining();
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::shared_ptr<RoomInstance> loser;  // made twice at once: the second is dropped unlocked
  Lookup result;
  {
    std::lock_guard lock(mutex_);
    --being_made_;
    if (!made) {
      result = Lookup{nullptr, 500, "cannot make the room's folders"};
    } else {
      auto [it, inserted] = rooms_.try_emplace(std::string(name), made);
      if (inserted) {
        created_.fetch_add(1, std::memory_order_relaxed);
      } else {
        loser = std::move(made);
      }
      it->second->touch(now);
      result = Lookup{it->second, 200, {}};
    }
  }
  if (!error.empty()) {
    log_event(LogLevel::kError, "room_refused", {{"room", name}, {"error", error}});
  } else if (!loser) {
    log_event(LogLevel::kInfo, "room_opened", {{"room", name}});
  }
  return result;
}

std::size_t RoomDirectory::release_idle() {
  const auto now = now_();
  std::vector<std::shared_ptr<RoomInstance>> released;
  {
    std::lock_guard lock(mutex_);
    for (auto it = rooms_.begin(); it != rooms_.end();) {
      if (it->second->idle(now, config_.idle_time)) {
        released.push_back(std::move(it->second));
        it = rooms_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& r : released) log_event(LogLevel::kInfo, "room_released", {{"room", r->name()}});
  released_.fetch_add(released.size(), std::memory_order_relaxed);
  return released.size();  // the rooms are destroyed here, outside the lock
}

void RoomDirectory::housekeeping() {
  std::vector<std::shared_ptr<RoomInstance>> rooms;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, room] : rooms_) rooms.push_back(room);
  }
  // After SIGTERM the default room refuses new singers (the drain): so do the named rooms.
  const bool draining = default_->router().readiness().draining();
  for (const auto& r : rooms) {
    if (draining) r->router().readiness().start_draining();
    r->room().sweep_departures();
    log_room_events(r->room());
  }
}

void RoomDirectory::start_draining() {
  // The default room first: a room made from now on copies its state (find_or_create).
  default_->router().readiness().start_draining();
  for (const auto& r : open_rooms()) r->router().readiness().start_draining();
}

std::vector<std::shared_ptr<RoomInstance>> RoomDirectory::open_rooms() {
  std::vector<std::shared_ptr<RoomInstance>> rooms{default_};
  std::lock_guard lock(mutex_);
  for (const auto& [name, room] : rooms_) rooms.push_back(room);
  return rooms;
}

std::vector<RoomDirectory::RoomInfo> RoomDirectory::list() {
  const auto rooms = open_rooms();
  std::vector<RoomInfo> out;
  out.reserve(rooms.size());
  for (const auto& r : rooms) {
    const RoomStatus st = r->room().status();
    out.push_back({.name = r->name(),
                   .singers = st.n_connected_users,
                   .phase = st.song_phase,
                   .requests = r->router().metrics().requests()});
  }
  return out;
}

}  // namespace brigade::server
