// brigade: the room.
#include "brigade/engine/room.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "brigade/engine/backing.hpp"
#include "brigade/engine/buckets.hpp"

namespace brigade {
namespace {

constexpr Clock kExpirySweepSamples = kSampleRate;  // sweep old records at most once a second
constexpr std::size_t kImageTokenLetters = 10;
/// The recorder stays this far behind the last bucket, for its network and pipeline delay.
constexpr Clock kRecordingMarginSamples = Clock{kBucketSeconds} * kSampleRate;

// Another singer's microphone level or solo: an operator's control when there is an admin.
bool controls_other_singers(const ExchangeRequest& req) {
  const RoomControls& c = req.controls;
  const auto other = [&](const std::optional<UserId>& id) { return id && *id != req.user_id; };
  return other(c.monitor) || other(c.unmonitor) ||
         std::any_of(c.mic_volume.begin(), c.mic_volume.end(),
                     [&](const auto& entry) { return entry.first != req.user_id; });
}

}  // namespace

void PendingKeys::clear() {
  bpm.reset();
  repeats.reset();
  bpr.reset();
  first_bucket.reset();
  delay_seconds.reset();
  global_volume.reset();
  backing_volume.reset();
  disable_song_video.reset();
  lyrics.reset();
  image.reset();
  backing_track_type.reset();
  tracks = false;
  chats.clear();
}

Room::Room(const SampleClock& clock, RoomConfig config)
    : clock_(clock),
      config_(config),
      rng_(config.seed),
      summary_(std::make_shared<const std::string>(2, '\0')),
      events_(std::make_shared<const EventList>()),
      tracks_(std::make_shared<const std::vector<std::string>>()) {}

bool Room::is_active(const User& u, Clock now) const {
  return now - u.last_heard <= kUserActiveSamples;
}

template <class F>
void Room::for_each_active(Clock now, F&& f) {
  for (auto& [id, u] : users_) {
    if (is_active(u, now)) f(u);
  }
}

SongControlState Room::song_control_state() const {
  return {.running = song_.start > 1 && song_.end == 0,
          .leader = song_.leader,
          .operators_exist = config_.operators_exist,
          .policy = config_.lead_policy};
}

ExchangeOutcome Room::validate(const ExchangeRequest& req, Clock now) const {
  const RoomControls& c = req.controls;
  if (auto outcome = check_song_control(song_control_state(), song_control_ask(req));
      !outcome.ok()) {
    return outcome;
  }
  if (c.hand_lead) {
    const auto to = users_.find(*c.hand_lead);
    if (to == users_.end() || !is_active(to->second, now) || to->second.spectator) {
      return {ExchangeStatus::kBadRequest, "hand_lead names no singer present"};
    }
  }
  const bool halts_others_song = c.mark_stop_singing && song_.leader != req.user_id;
  if (!req.admin && (c.volume || c.backing_volume || c.disable_auto_gain || c.track ||
                     c.clear_events || halts_others_song)) {
    return {ExchangeStatus::kForbidden, "room-wide controls need the admin token"};
  }
  if (!req.admin && controls_other_singers(req)) {
    return {ExchangeStatus::kForbidden, "controls over other singers need the admin token"};
  }
  const Clock n = req.n_samples;
  if (n <= 0 || n > kMaxExchangeSamples) return {ExchangeStatus::kBadRequest, "bad n_samples"};
  // No arithmetic on the request's clocks until they are known to be near `now`: the engine
  // stays defined for any int64 (the parser already bounds them, this is the second line).
  const Clock oldest_end = now - kRingSamples + n;  // earliest clock whose interval is in the ring
  if (req.read_clock > now) return {ExchangeStatus::kBadRequest, "read clock is in the future"};
  if (req.read_clock < oldest_end) {
    return {ExchangeStatus::kBadRequest, "read clock is older than the ring"};
  }
  if (req.write_clock) {
    if (*req.write_clock < oldest_end) {
      return {ExchangeStatus::kBadRequest, "write clock is too far in the past"};
    }
    if (*req.write_clock > now) {
      return {ExchangeStatus::kBadRequest, "write clock is in the future"};
    }
  }
  const auto it = users_.find(req.user_id);
  if (!req.admit_new_singers && (it == users_.end() || !is_active(it->second, now))) {
    return {ExchangeStatus::kDraining, "the server is shutting down: no new singers"};
  }
  if (it == users_.end()) {
    // A joiner is refused only when the room is full of active singers (exact count: rare path).
    int active = 0;
    for (const auto& [id, u] : users_) active += is_active(u, now) ? 1 : 0;
    if (active >= config_.max_users) return {ExchangeStatus::kRoomFull, "room is full"};
    return {};
  }
  if (req.reset_user_state) return {};
  const User& u = it->second;
  if (u.last_read && req.read_clock != *u.last_read + n) {
    return {ExchangeStatus::kBadRequest, "read clock desync"};
  }
  if (req.write_clock && u.last_write && *req.write_clock != *u.last_write + n) {
    return {ExchangeStatus::kBadRequest, "write clock desync"};
  }
  return {};
}

ExchangeOutcome Room::exchange(const ExchangeRequest& req, std::span<const float> upload,
                               ExchangeBuffers buffers, ExchangeResult& result) {
  std::lock_guard lock(mutex_);
  const Clock now = clock_.now();
  if (static_cast<Clock>(upload.size()) != req.n_samples) {
    return {ExchangeStatus::kBadRequest, "upload length differs from n_samples"};
  }
  if (auto outcome = validate(req, now); !outcome.ok()) return outcome;
  ++requests_;

  // Clear the span that came up ahead of the lead singer since the last request.
  const Interval cleared = rings_.clear_to(now);
  result.last_request_clock = cleared.begin;
  if (!cleared.empty()) {
    ++clears_;
    cleared_samples_ += static_cast<std::uint64_t>(cleared.size());
  }
  fill_backing(cleared);
  if (song_.track && song_.end == 0 &&
      now >= song_.start + static_cast<Clock>(song_.track->size())) {
    // The backing track ran out: the song ends where it did.
    song_.end = song_.start + static_cast<Clock>(song_.track->size());
    note(RoomEventKind::kSongEnded, nullptr);
    end_song(now);
  }

  end_song_if_keeper_gone(now);
  expire_users(now);
  if (!last_heard_any_ || now - *last_heard_any_ > kUserActiveSamples) reset_song_state();
  last_heard_any_ = now;

  User& user = admit(req, now);
  apply_controls(req, user, now);
  const bool mixed = req.write_clock && write(req, upload, user, now);
  // Stems follow the mix recording: only uploads mixed while it runs, up to its cap.
  result.recorded_song =
      mixed && song_.recording &&
              *req.write_clock - req.n_samples < song_.start + config_.max_recording_samples
          ? song_.id
          : 0;
  read(req, user, buffers, result);

  result.server_clock = now;
  result.client_read_clock = req.read_clock;
  result.client_write_clock = req.write_clock;
  result.song_start_clock = song_.start;
  result.song_end_clock = song_.end;
  result.n_samples = req.n_samples;
  result.leader = song_.leader;
  std::swap(result.delivered, user.pending);
  user.pending.clear();
  result.events = events_;
  result.tracks = result.delivered.tracks ? tracks_ : nullptr;
  refresh_summary(now, false);
  result.n_connected_users = n_active_;
  result.room_events = !events_out_.empty();
  result.summary_version = summary_version_;
  result.summary_unchanged = req.user_summary && req.known_summary_version == summary_version_;
  result.summary = req.user_summary && !result.summary_unchanged ? summary_ : nullptr;
  return {};
}

void Room::reset_song_state() {
  song_ = Song{};
  summary_dirty_ = true;
}

Room::User& Room::admit(const ExchangeRequest& req, Clock now) {
  const auto max_records = static_cast<std::size_t>(config_.max_users) * kRecordsPerActiveSinger;
  if (users_.size() >= max_records && !users_.contains(req.user_id)) {
    // Joins are rare, so an O(users) scan is fine. validate() guaranteed an inactive one exists.
    const auto oldest = std::min_element(
        users_.begin(), users_.end(),
        [](const auto& a, const auto& b) { return a.second.last_heard < b.second.last_heard; });
    if (song_.leader == oldest->first) song_.leader.reset();
    if (oldest->second.present) note(RoomEventKind::kSingerLeft, &oldest->second);
    users_.erase(oldest);
    summary_dirty_ = true;
  }
  auto [it, created] = users_.try_emplace(req.user_id);
  User& u = it->second;
  if (created) {
    u.id = req.user_id;
    auto& p = u.pending;
    const Song& s = song_;
    p.bpm = s.rounds.bpm;
    p.repeats = s.rounds.repeats;
    p.bpr = s.rounds.bpr;
    p.tracks = true;
    p.first_bucket = s.first_bucket;
    p.global_volume = scalar_to_friendly(s.global_volume);
    p.backing_volume = scalar_to_friendly(s.backing_volume);
    if (s.disable_song_video) p.disable_song_video = true;
    if (!s.lyrics.empty()) p.lyrics = s.lyrics;
    if (!s.image.empty()) p.image = s.image;
    // Without headphones the choir leaks into the microphone: only the last bucket is safe.
    if (!req.headphones && s.leader) p.delay_seconds = s.max_position;
    summary_dirty_ = true;
  }
  if (req.reset_user_state) {
    u.last_read.reset();
    u.last_write.reset();
  }
  u.last_heard = now;
  u.delay_samples = now - req.read_clock;
  const std::string_view name = req.name.empty() ? std::string_view("<anonymous>") : req.name;
  const auto kept = truncate_utf8(name, kMaxNameBytes);
  if (u.name != kept) {
    u.name.assign(kept);
    summary_dirty_ = true;
  }
  if (!u.present) {
    u.present = true;
    note(RoomEventKind::kSingerJoined, &u);
  }
  u.spectator = req.spectator;
  u.muted = req.muted;
  u.headphones = req.headphones;
  if (song_.keeper == u.id) song_.keeper_seen = now;
  u.listening = req.hear_monitor;
  if (req.user_backing_volume) u.user_backing = friendly_to_scalar(*req.user_backing_volume);
  u.rms = 0.0f;  // set by the write, if this request uploads
  return u;
}

void Room::apply_controls(const ExchangeRequest& req, User& user, Clock now) {
  const RoomControls& c = req.controls;
  Song& s = song_;
  if (c.lyrics) {
    s.lyrics = *c.lyrics;
    for_each_active(now, [&](User& u) { u.pending.lyrics = s.lyrics; });
  }
  if (c.image) {
    std::uniform_int_distribution<int> letter('A', 'Z');
    s.image.clear();
    for (std::size_t i = 0; i < kImageTokenLetters; ++i)
      s.image.push_back(static_cast<char>(letter(rng_)));
    for_each_active(now, [&](User& u) { u.pending.image = s.image; });
  }
  if (c.request_lead) request_lead(user, now);
  if (c.hand_lead) hand_lead(users_.at(*c.hand_lead), now);
  if (c.volume) {
    s.global_volume = friendly_to_scalar(*c.volume);
    for_each_active(now, [&](User& u) { u.pending.global_volume = *c.volume; });
  }
  if (c.backing_volume) {
    s.backing_volume = friendly_to_scalar(*c.backing_volume);
    for_each_active(now, [&](User& u) { u.pending.backing_volume = *c.backing_volume; });
  }
  for (const auto& line : c.chat) {
    for_each_active(now, [&](User& u) {
      if (u.id == user.id) return;
      auto& chats = u.pending.chats;
      if (chats.size() >= kMaxPendingChats) chats.erase(chats.begin());  // a singer not reading
      chats.emplace_back(user.name, line);
    });
  }
  for (const auto& [id, value] : c.mic_volume) {
    if (auto it = users_.find(id); it != users_.end()) {
      it->second.mic_volume = std::clamp(value, 0.0, 2.0);
      it->second.gain = mic_gain(it->second.mic_volume);
      summary_dirty_ = true;
    }
  }
  if (c.track) {
    s.requested_track = *c.track;
    s.requested_samples = c.track_samples;
  }
  if (c.mark_start_singing) start_song(req, user, now);
  if (c.mark_stop_singing) stop_song(req, user, now);
  if (c.clear_events) events_ = std::make_shared<const EventList>();
  if (!c.event_data.empty()) {
    auto events = std::make_shared<EventList>(*events_);
    for (const auto& e : c.event_data) {
      auto it = std::find_if(events->begin(), events->end(),
                             [&](const Event& x) { return x.evid == e.evid; });
      if (it != events->end()) {
        it->clock = e.clock;
      } else {
        if (events->size() >= kMaxEvents) events->erase(events->begin());  // the oldest
        events->push_back(e);
      }
    }
    events_ = std::move(events);
  }
  if (c.disable_auto_gain) s.auto_gain = !*c.disable_auto_gain;
  if (c.disable_song_video) {
    s.disable_song_video = *c.disable_song_video;
    for_each_active(now, [&](User& u) { u.pending.disable_song_video = s.disable_song_video; });
  }
  if (c.bpm) {
    s.rounds.bpm = *c.bpm;
    for_each_active(now, [&](User& u) { u.pending.bpm = *c.bpm; });
  }
  if (c.repeats) {
    s.rounds.repeats = *c.repeats;
    for_each_active(now, [&](User& u) { u.pending.repeats = *c.repeats; });
  }
  if (c.bpr) {
    s.rounds.bpr = *c.bpr;
    for_each_active(now, [&](User& u) { u.pending.bpr = *c.bpr; });
  }
  // Solo ("monitor") handling.
  bool reposition = false;
  if (c.monitor) {
    if (auto it = users_.find(*c.monitor); it != users_.end()) {
      it->second.soloed = true;
      user.listening = true;
      reposition = true;
    }
  }
  if (c.unmonitor) {
    if (auto it = users_.find(*c.unmonitor); it != users_.end()) {
      it->second.soloed = false;
      reposition = true;
    }
  }
  if (reposition) {
    summary_dirty_ = true;
    reposition_listeners(nullptr, now);
  }
  if (c.begin_monitor) reposition_listeners(&user, now);
}

void Room::request_lead(User& leader, Clock now) {
  Song& s = song_;
  scratch_users_.clear();
  for_each_active(now, [&](User& u) {
    if (u.id != leader.id && !u.spectator && u.headphones) scratch_users_.push_back(&u);
  });
  // Shuffle in a stable order first, so a fixed seed gives a fixed assignment.
  std::sort(scratch_users_.begin(), scratch_users_.end(),
            [](const User* a, const User* b) { return a->id < b->id; });
  std::shuffle(scratch_users_.begin(), scratch_users_.end(), rng_);
  const BucketAssignment a = assign_buckets(s.rounds, scratch_users_.size());
  s.first_bucket = a.first_bucket;
  s.max_position = a.max_position;
  for_each_active(now, [&](User& u) {
    u.pending.first_bucket = a.first_bucket;
    if ((u.spectator || !u.headphones) && u.id != leader.id) {
      u.pending.delay_seconds = a.max_position;
    }
  });
  for (std::size_t i = 0; i < scratch_users_.size(); ++i) {
    scratch_users_[i]->pending.delay_seconds = a.follower_delays[i];
  }
  leader.pending.delay_seconds = a.first_bucket;
  s.leader = leader.id;
  s.keeper = leader.id;
  s.keeper_seen = now;
  note(RoomEventKind::kLeadTaken, &leader);
  s.image.clear();
  s.lyrics.clear();
  for_each_active(now, [&](User& u) {
    u.pending.image = "";
    u.pending.lyrics = "";
  });
  summary_dirty_ = true;
}

void Room::hand_lead(User& to, Clock now) {
  Song& s = song_;
  if (s.start > 1 && s.end == 0) {
    // Mid-song the buckets stay as they are: only who may stop the song changes.
    s.leader = to.id;
    s.keeper = to.id;
    s.keeper_seen = now;
    s.keeper_last_write.reset();
    summary_dirty_ = true;
    return;
  }
  request_lead(to, now);
}

void Room::end_song_if_keeper_gone(Clock now) {
  Song& s = song_;
  if (s.start <= 1 || s.end != 0 || now - s.keeper_seen <= config_.leader_gone_samples) return;
  // The song ends where the keeper's audio ended (at its start if they never sang).
  s.end = std::max(s.start, s.keeper_last_write.value_or(s.start));
  note(RoomEventKind::kSongEnded, nullptr);
  end_song(now);
}

void Room::start_song(const ExchangeRequest& req, const User& user, Clock now) {
  Song& s = song_;
  rings_.wipe();
  if (!s.keeper) s.keeper = req.user_id;
  s.keeper_seen = now;
  s.keeper_last_write.reset();
  if (const auto it = users_.find(s.leader.value_or(req.user_id)); it != users_.end()) {
    s.leader_name = it->second.name;
  }
  events_ = std::make_shared<const EventList>();
  s.start = req.read_clock;
  s.end = 0;
  s.track.reset();
  s.metronome = s.rounds.bpm > 0;
  std::string type;
  if (s.metronome) {
    type = "Metronome";  // a requested track waits for a song without metronome
  } else if (s.requested_samples) {
    s.track = std::move(s.requested_samples);
    s.requested_track.reset();
    type = "Backing Track";
  }
  // The backing starts at the song's start (the original started tracks ~3 s late), so
  // backfill what has already been cleared.
  fill_backing({s.start, rings_.cleared_to().value_or(now)});
  s.id = ++songs_;
  s.recording = true;
  s.record_next = s.start;
  note(RoomEventKind::kSongStarted, &user);
  for_each_active(now, [&](User& u) { u.pending.backing_track_type = type; });
}

void Room::fill_backing(Interval span) {
  const Song& s = song_;
  if (span.empty() || s.start <= 1) return;
  if (s.end != 0) span.end = std::min(span.end, s.end);
  if (span.empty()) return;
  if (s.track) write_track(rings_.backing(), span, s.start, *s.track);
  if (s.metronome) write_metronome(rings_.backing(), span, s.start, beat_samples(s.rounds.bpm));
}

void Room::end_song(Clock now) {
  song_.leader.reset();
  song_.keeper.reset();
  song_.track.reset();
  for_each_active(now, [](User& u) { u.pending.backing_track_type = ""; });
}

void Room::stop_song(const ExchangeRequest& req, User& user, Clock now) {
  Song& s = song_;
  if (s.leader && *s.leader == user.id) {
    // The song ends where the leader's audio ends; a leader who never sang ends it here.
    s.end = user.last_write_any.value_or(req.read_clock);
    note(RoomEventKind::kSongStopped, &user);
  } else {
    note(RoomEventKind::kSongHalted, &user);
    s.start = 1;  // halted: no more reads or writes
    s.end = 1;
  }
  end_song(now);
}

void Room::reposition_listeners(User* only, Clock now) {
  Clock max_delay = 0;
  for_each_active(now, [&](User& u) {
    if (u.soloed) max_delay = std::max(max_delay, u.delay_samples);
  });
  const int p = summary_delay_seconds(max_delay);
  if (p <= 0) return;
  const int target = p + kBucketSeconds;
  auto place = [&](User& u) {
    if (summary_delay_seconds(u.delay_samples) != target) u.pending.delay_seconds = target;
  };
  if (only) {
    place(*only);
  } else {
    for_each_active(now, [&](User& u) {
      if (u.listening) place(u);
    });
  }
}

bool Room::write(const ExchangeRequest& req, std::span<const float> upload, User& user, Clock now) {
  const Clock w = *req.write_clock;
  const Interval iv = ending_at(w, req.n_samples);
  user.last_write = w;
  user.last_write_any = w;
  if (song_.keeper == user.id) song_.keeper_last_write = w;
  user.write_window = iv;
  user.rms = rms(upload);
  const Song& s = song_;
  const bool in_song = s.start != 0 && w > s.start && (s.end == 0 || iv.begin < s.end);
  if (!in_song) return false;
  const float gain = user.gain * (s.leader == user.id ? leader_boost() : 1.0f);
  rings_.mix(iv, upload, gain, user.soloed);
  if (s.rounds.enabled()) {
    const auto round = static_cast<Clock>(60.0 / s.rounds.bpm * s.rounds.bpr * kSampleRate);
    for (int k = 1; k <= s.rounds.repeats; ++k) {
      const Interval copy{iv.begin + k * round, iv.end + k * round};
      if (copy.end <= now) rings_.mix(copy, upload, gain, false);
    }
  }
  return true;
}

void Room::read(const ExchangeRequest& req, User& user, ExchangeBuffers buffers,
                ExchangeResult& result) {
  const Interval iv = ending_at(req.read_clock, req.n_samples);
  user.last_read = req.read_clock;
  user.read_window = iv;
  const Song& s = song_;
  const bool song_audible = s.start != 0 && (s.end == 0 || iv.begin < s.end);
  result.loopback_gain = user.gain * (s.leader == user.id ? leader_boost() : 1.0f);
  result.levels = ReplyLevels{
      .global_volume = static_cast<float>(s.global_volume),
      .backing_volume = static_cast<float>(s.backing_volume),
      .backing_factor = s.rounds.bpm > 0 ? 1.0f : 0.2f,
      .user_backing = static_cast<float>(user.user_backing),
      .auto_gain = s.auto_gain,
  };
  if (req.loopback) {
    result.source = ReplySource::kLoopback;
    result.n_people_heard = -1;
  } else if (user.listening) {
    rings_.read_solo(iv, buffers.audio);
    result.source = ReplySource::kSolo;
    result.n_people_heard = -1;
  } else if (song_audible) {
    rings_.read_audio(iv, buffers.audio);
    rings_.read_backing(iv, buffers.backing);
    rings_.read_writers(iv, buffers.writers);
    result.source = ReplySource::kMix;
    result.n_people_heard = buffers.writers.empty() ? 0 : buffers.writers[0];
  } else {
    result.source = ReplySource::kSilence;
    result.n_people_heard = 0;
  }
}

void Room::refresh_summary(Clock now, bool force) {
  if (!force && !summary_dirty_ && now - summary_built_at_ < kSummaryRefreshSamples) return;
  scratch_entries_.clear();
  n_active_ = 0;
  for_each_active(now, [&](User& u) {
    ++n_active_;
    scratch_entries_.push_back(SummaryEntry{
        .user_id = u.id,
        .name = u.name,
        .mic_volume = static_cast<float>(u.mic_volume),
        .rms = u.rms,
        .delay_samples = u.delay_samples,
        .muted = u.muted,
        .soloed = u.soloed,
    });
  });
  auto bytes = std::make_shared<std::string>();
  encode_summary(scratch_entries_, *bytes);
  if (!same_listing(*bytes, *summary_)) ++summary_version_;
  summary_ = std::move(bytes);
  summary_built_at_ = now;
  summary_dirty_ = false;
}

void Room::expire_users(Clock now) {
  if (now - last_expiry_sweep_ < kExpirySweepSamples) return;
  last_expiry_sweep_ = now;
  sweep_departures(now);
  std::erase_if(users_,
                [&](const auto& kv) { return now - kv.second.last_heard > kUserLifetimeSamples; });
  summary_dirty_ = true;
}

void Room::sweep_departures(Clock now) {
  for (auto& [id, u] : users_) {
    if (u.present && !is_active(u, now)) {
      u.present = false;
      note(RoomEventKind::kSingerLeft, &u);
    }
  }
}

void Room::sweep_departures() {
  std::lock_guard lock(mutex_);
  sweep_departures(clock_.now());
}

void Room::note(RoomEventKind kind, const User* user) {
  if (events_out_.size() >= kMaxPendingRoomEvents) {
    ++events_dropped_;
    return;
  }
  const bool song_event = kind == RoomEventKind::kSongStarted ||
                          kind == RoomEventKind::kSongStopped ||
                          kind == RoomEventKind::kSongHalted || kind == RoomEventKind::kSongEnded;
  events_out_.push_back(RoomEvent{.kind = kind,
                                  .user = user ? user->id : 0,
                                  .name = user ? user->name : std::string(),
                                  .song = song_event ? song_.id : 0});
}

std::uint64_t Room::take_events(std::vector<RoomEvent>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  out.swap(events_out_);
  return std::exchange(events_dropped_, 0);
}

SongPhase Room::song_phase() const {
  const Song& s = song_;
  if (s.start > 1 && s.end == 0) return SongPhase::kSinging;
  if (s.recording) return SongPhase::kFinishing;
  return s.leader ? SongPhase::kLeading : SongPhase::kIdle;
}

std::size_t Room::user_records() {
  std::lock_guard lock(mutex_);
  return users_.size();
}

RoomStatus Room::status() {
  std::lock_guard lock(mutex_);
  const Clock now = clock_.now();
  int active = 0;
  for (const auto& [id, u] : users_) active += is_active(u, now) ? 1 : 0;
  return {active, config_.max_users, song_phase()};
}

void Room::snapshot_occupancy(OccupancySnapshot& out) {
  std::lock_guard lock(mutex_);
  rings_.snapshot(out);
}

void Room::snapshot(RoomSnapshot& out) {
  std::lock_guard lock(mutex_);
  const Clock now = clock_.now();
  out.server_clock = now;
  out.cleared_to = rings_.cleared_to();
  rings_.snapshot(out.occupancy);
  out.song_start_clock = song_.start;
  out.song_end_clock = song_.end;
  out.first_bucket = song_.first_bucket;
  out.requests = requests_;
  out.clears = clears_;
  out.cleared_samples = cleared_samples_;
  out.song_phase = song_phase();
  out.singers.clear();
  for_each_active(now, [&](User& u) {
    out.singers.push_back(SingerView{
        .id = u.id,
        .name = u.name,
        .delay_samples = u.delay_samples,
        .read_window = u.read_window,
        .write_window = u.write_window,
        .rms = u.rms,
        .mic_volume = static_cast<float>(u.mic_volume),
        .muted = u.muted,
        .spectator = u.spectator,
        .leader = song_.leader == u.id,
        .soloed = u.soloed,
        .headphones = u.headphones,
    });
  });
}

RecordingChunk Room::take_recording(ExchangeBuffers buffers) {
  std::lock_guard lock(mutex_);
  Song& s = song_;
  RecordingChunk chunk;
  if (!s.recording) return chunk;
  chunk.song = s.id;
  const Clock now = clock_.now();
  end_song_if_keeper_gone(now);
  chunk.song_start = s.start;
  if (s.record_next == s.start) chunk.leader = s.leader_name;
  if (s.start <= 1) {  // halted
    s.recording = false;
    chunk.finished = true;
    return chunk;
  }
  Clock limit = now - Clock{s.max_position} * kSampleRate - kRecordingMarginSamples;
  if (s.end != 0) limit = std::min(limit, s.end);
  // Nothing of the song lies past its keeper's newest upload; waiting there means a leader who
  // vanished ends the song (after leader_gone_samples) exactly where the recording stands.
  if (s.keeper_last_write) limit = std::min(limit, *s.keeper_last_write);
  limit = std::min(limit, s.start + config_.max_recording_samples);
  // If the recorder fell a whole ring behind, that audio is gone: skip it.
  s.record_next = std::max(s.record_next, now - kRingSamples);
  const Clock n =
      std::clamp<Clock>(limit - s.record_next, 0, static_cast<Clock>(buffers.audio.size()));
  chunk.begin = s.record_next;
  chunk.samples = static_cast<std::size_t>(n);
  if (n > 0) {
    const Interval iv{s.record_next, s.record_next + n};
    rings_.read_audio(iv, buffers.audio.first(chunk.samples));
    rings_.read_backing(iv, buffers.backing.first(chunk.samples));
    rings_.read_writers(iv, buffers.writers.first(chunk.samples));
    s.record_next += n;
  }
  chunk.levels = ReplyLevels{
      .global_volume = static_cast<float>(s.global_volume),
      .backing_volume = static_cast<float>(s.backing_volume),
      .backing_factor = s.rounds.bpm > 0 ? 1.0f : 0.2f,
      .user_backing = 1.0f,
      .auto_gain = s.auto_gain,
  };
  const bool ended = s.end != 0 && s.record_next >= s.end;
  if (ended || s.record_next >= s.start + config_.max_recording_samples) {
    s.recording = false;
    chunk.finished = true;
  }
  return chunk;
}

void Room::set_tracks(std::vector<std::string> tracks) {
  std::lock_guard lock(mutex_);
  tracks_ = std::make_shared<const std::vector<std::string>>(std::move(tracks));
}

}  // namespace brigade
