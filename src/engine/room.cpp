// brigade: the room: the front that runs one exchange over the roster, the song and the mixer.
#include "brigade/engine/room.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

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

template <class T>
void merge_key(std::optional<T>& to, const std::optional<T>& from) {
  if (from) to = *from;
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

void PendingKeys::merge(const PendingKeys& k) {
  merge_key(bpm, k.bpm);
  merge_key(repeats, k.repeats);
  merge_key(bpr, k.bpr);
  merge_key(first_bucket, k.first_bucket);
  merge_key(delay_seconds, k.delay_seconds);
  merge_key(global_volume, k.global_volume);
  merge_key(backing_volume, k.backing_volume);
  merge_key(disable_song_video, k.disable_song_video);
  merge_key(lyrics, k.lyrics);
  merge_key(image, k.image);
  merge_key(backing_track_type, k.backing_track_type);
  tracks = tracks || k.tracks;
}

bool PendingKeys::any_key() const {
  return bpm || repeats || bpr || first_bucket || delay_seconds || global_volume ||
         backing_volume || disable_song_video || lyrics || image || backing_track_type || tracks;
}

Room::Room(const SampleClock& clock, RoomConfig config)
    : clock_(clock),
      config_(config),
      roster_(static_cast<std::size_t>(config.max_users) * kRecordsPerActiveSinger),
      rng_(config.seed),
      summary_(std::make_shared<const SummaryListing>()),
      events_(std::make_shared<const EventList>()),
      tracks_(std::make_shared<const std::vector<std::string>>()) {}

std::shared_ptr<SingerAttachment> Room::attachment(UserId id, const std::type_info& type,
                                                   std::shared_ptr<SingerAttachment> (*make)()) {
  {
    std::lock_guard lock(mutex_);
    if (attachment_type_ && *attachment_type_ != type) {
      throw std::logic_error("Room::attachment: one attachment type per room");
    }
    attachment_type_ = &type;
    const Clock now = clock_.now();
    Singer& s = record(id, now);
    s.last_seen = now;
    if (s.attachment) return s.attachment;
  }
  // A new singer: its codecs are made outside the room lock (they allocate), then installed,
  // unless a concurrent first request of the same id installed its own meanwhile.
  std::shared_ptr<SingerAttachment> made = make();
  std::lock_guard lock(mutex_);
  Singer& s = record(id, clock_.now());
  if (!s.attachment) s.attachment = std::move(made);
  return s.attachment;
}

Singer& Room::record(UserId id, Clock now) {
  if (Singer* s = roster_.record(id)) return *s;
  if (Singer* evicted = roster_.eviction_candidate(now)) {
    if (song_.leader == evicted->id) song_.leader.reset();
    if (evicted->present) note(RoomEventKind::kSingerLeft, evicted);
    if (evicted->joined) summary_dirty_ = true;
    roster_.erase(evicted->id);
  }
  return roster_.add(id);
}

SongControlState Room::song_control_state() const {
  return {.running = song_.timeline.running(),
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
    const Singer* to = roster_.find(*c.hand_lead);
    if (!to || !Roster::is_active(*to, now) || to->spectator) {
      return {ExchangeStatus::kBadRequest, Refusal::kHandLeadNobody};
    }
  }
  const bool halts_others_song = c.mark_stop_singing && song_.leader != req.user_id;
  if (!req.admin && (c.volume || c.backing_volume || c.disable_auto_gain || c.track ||
                     c.clear_events || halts_others_song)) {
    return {ExchangeStatus::kForbidden, Refusal::kRoomWideNeedsAdmin};
  }
  if (!req.admin && controls_other_singers(req)) {
    return {ExchangeStatus::kForbidden, Refusal::kOthersNeedAdmin};
  }
  if (auto outcome = validate_clocks(req, now); !outcome.ok()) return outcome;
  const Singer* s = roster_.find(req.user_id);
  if (!req.admit_new_singers && (!s || !Roster::is_active(*s, now))) {
    return {ExchangeStatus::kDraining, Refusal::kDraining};
  }
  if (!s) {
    // A joiner is refused only when the room is full of active singers (exact count: rare path).
    if (roster_.count_active(now) >= config_.max_users) {
      return {ExchangeStatus::kRoomFull, Refusal::kRoomFull};
    }
    return {};
  }
  if (req.reset_user_state) return {};
  const Clock n = req.n_samples;
  if (s->last_read && req.read_clock != *s->last_read + n) {
    return {ExchangeStatus::kBadRequest, Refusal::kReadDesync};
  }
  if (req.write_clock && s->last_write && *req.write_clock != *s->last_write + n) {
    return {ExchangeStatus::kBadRequest, Refusal::kWriteDesync};
  }
  return {};
}

ExchangeOutcome Room::validate_clocks(const ExchangeRequest& req, Clock now) const {
  const Clock n = req.n_samples;
  if (n <= 0 || n > kMaxExchangeSamples)
    return {ExchangeStatus::kBadRequest, Refusal::kBadNSamples};
  // No arithmetic on the request's clocks until they are known to be near `now`: the engine
  // stays defined for any int64 (the parser already bounds them, this is the second line).
  const Clock oldest_end = now - kRingSamples + n;  // earliest clock whose interval is in the ring
  if (req.read_clock > now) return {ExchangeStatus::kBadRequest, Refusal::kReadClockFuture};
  if (req.read_clock < oldest_end) {
    return {ExchangeStatus::kBadRequest, Refusal::kReadClockTooOld};
  }
  if (req.write_clock) {
    if (*req.write_clock < oldest_end) {
      return {ExchangeStatus::kBadRequest, Refusal::kWriteClockTooOld};
    }
    if (*req.write_clock > now) {
      return {ExchangeStatus::kBadRequest, Refusal::kWriteClockFuture};
    }
  }
  return {};
}

ExchangeOutcome Room::exchange(const ExchangeRequest& req, std::span<const float> upload,
                               ExchangeBuffers buffers, ExchangeResult& result) {
  std::lock_guard lock(mutex_);
  const Clock now = clock_.now();
  if (static_cast<Clock>(upload.size()) != req.n_samples) {
    return {ExchangeStatus::kBadRequest, Refusal::kUploadLength};
  }
  if (auto outcome = validate(req, now); !outcome.ok()) return outcome;
  ++requests_;

  // Clear the span that came up ahead of the lead singer since the last request.
  result.last_request_clock = mixer_.clear_to(now, song_).begin;
  end_song_early(now);
  expire_users(now);
  if (!last_heard_any_ || now - *last_heard_any_ > kUserActiveSamples) reset_song_state();
  last_heard_any_ = now;

  Singer& singer = admit(req, now);
  apply_controls(req, singer, now);
  const bool mixed = req.write_clock && write(req, upload, singer, now);
  // Stems follow the mix recording: only uploads mixed while it runs, up to its cap.
  result.recorded_song = mixed && song_.recording &&
                                 *req.write_clock - req.n_samples <
                                     song_.timeline.start() + config_.max_recording_samples
                             ? song_.id
                             : 0;
  read(req, singer, buffers, result);
  fill_result(req, singer, now, result);
  return {};
}

void Room::fill_result(const ExchangeRequest& req, Singer& singer, Clock now,
                       ExchangeResult& result) {
  result.server_clock = now;
  result.client_read_clock = req.read_clock;
  result.client_write_clock = req.write_clock;
  result.song = song_.timeline;
  result.n_samples = req.n_samples;
  result.leader = song_.leader;
  std::swap(result.delivered, singer.pending);
  singer.pending.clear();
  if (req.chats_pushed) std::swap(singer.pending.chats, result.delivered.chats);
  result.events = events_;
  result.tracks = result.delivered.tracks ? tracks_ : nullptr;
  refresh_summary(now, false);
  result.n_connected_users = n_active_;
  result.room_events = !events_out_.empty();
  result.summary_version = summary_version_;
  result.summary_unchanged = req.user_summary && req.known_summary_version == summary_version_;
  result.summary = req.user_summary && !result.summary_unchanged ? summary_ : nullptr;
}

void Room::end_song_early(Clock now) {
  if (const auto track_end = song_.track_end_before(now)) {
    // The backing track ran out: the song ends where it did.
    song_.timeline.end_at(*track_end);
    note(RoomEventKind::kSongEnded, nullptr);
    end_song(now);
  }
  end_song_if_keeper_gone(now);
}

void Room::reset_song_state() {
  song_ = Song{};
  summary_dirty_ = true;
}

Singer& Room::admit(const ExchangeRequest& req, Clock now) {
  Singer& s = record(req.user_id, now);
  if (!s.joined) {
    s.joined = true;
    song_.welcome(s.pending, req.headphones);
    summary_dirty_ = true;
  }
  if (req.reset_user_state) {
    s.last_read.reset();
    s.last_write.reset();
  }
  s.last_seen = now;
  s.last_heard = now;
  s.delay_samples = now - req.read_clock;
  const std::string_view name = req.name.empty() ? std::string_view("<anonymous>") : req.name;
  const auto kept = truncate_utf8(name, kMaxNameBytes);
  if (s.name != kept) {
    s.name.assign(kept);
    summary_dirty_ = true;
  }
  if (!s.present) {
    s.present = true;
    note(RoomEventKind::kSingerJoined, &s);
  }
  s.spectator = req.spectator;
  s.muted = req.muted;
  s.headphones = req.headphones;
  if (song_.keeper == s.id) song_.keeper_seen = now;
  s.listening = req.hear_monitor;
  if (req.user_backing_volume) s.user_backing = friendly_to_scalar(*req.user_backing_volume);
  s.rms = 0.0f;  // set by the write, if this request uploads
  return s;
}

// The order is the original's: texts before a new lead (which clears them), the track before a
// start (which plays it), the tempo after it (a start uses the tempo it had).
void Room::apply_controls(const ExchangeRequest& req, Singer& singer, Clock now) {
  const RoomControls& c = req.controls;
  PendingKeys everyone;  // keys for every active singer, fanned out once at the end
  std::array<char, kImageTokenLetters> token{};
  if (c.image) {
    std::uniform_int_distribution<int> letter('A', 'Z');
    for (char& ch : token) ch = static_cast<char>(letter(rng_));
  }
  song_.apply_texts(c, std::string_view(token.data(), c.image ? token.size() : 0), everyone);
  if (c.request_lead) request_lead(singer, now, everyone);
  if (c.hand_lead) hand_lead(*roster_.find(*c.hand_lead), now, everyone);
  song_.apply_levels(c, everyone);
  apply_singer_controls(req, singer, now);
  if (c.mark_start_singing) start_song(req, singer, now, everyone);
  if (c.mark_stop_singing) stop_song(req, singer, everyone);
  apply_events(c);
  song_.apply_tempo(c, everyone);
  roster_.queue_for_active(now, everyone);
  // Solo ("monitor") handling.
  bool reposition = false;
  if (c.monitor) {
    if (Singer* s = roster_.find(*c.monitor)) {
      s->soloed = true;
      singer.listening = true;
      reposition = true;
    }
  }
  if (c.unmonitor) {
    if (Singer* s = roster_.find(*c.unmonitor)) {
      s->soloed = false;
      reposition = true;
    }
  }
  if (reposition) {
    summary_dirty_ = true;
    reposition_listeners(nullptr, now);
  }
  if (c.begin_monitor) reposition_listeners(&singer, now);
}

// Chat lines (to everyone but the sender) and microphone levels.
void Room::apply_singer_controls(const ExchangeRequest& req, Singer& singer, Clock now) {
  const RoomControls& c = req.controls;
  if (!c.chat.empty()) chat_generation_.fetch_add(1, std::memory_order_relaxed);
  for (const auto& line : c.chat) {
    roster_.for_each_active(now, [&](Singer& s) {
      if (s.id == singer.id) return;
      auto& chats = s.pending.chats;
      if (chats.size() >= kMaxPendingChats) chats.erase(chats.begin());  // a singer not reading
      chats.emplace_back(singer.name, line);
    });
  }
  for (const auto& [id, value] : c.mic_volume) {
    if (Singer* s = roster_.find(id)) {
      s->mic_volume = std::clamp(value, 0.0, 2.0);
      s->gain = mic_gain(s->mic_volume);
      summary_dirty_ = true;
    }
  }
}

void Room::apply_events(const RoomControls& c) {
  if (c.clear_events) events_ = std::make_shared<const EventList>();
  if (c.event_data.empty()) return;
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

void Room::request_lead(Singer& leader, Clock now, PendingKeys& everyone) {
  Song& s = song_;
  scratch_singers_.clear();
  roster_.for_each_active(now, [&](Singer& u) {
    if (u.id != leader.id && !u.spectator && u.headphones) scratch_singers_.push_back(&u);
  });
  // Shuffle in a stable order first, so a fixed seed gives a fixed assignment.
  std::sort(scratch_singers_.begin(), scratch_singers_.end(),
            [](const Singer* a, const Singer* b) { return a->id < b->id; });
  std::shuffle(scratch_singers_.begin(), scratch_singers_.end(), rng_);
  const BucketAssignment a = assign_buckets(s.rounds, scratch_singers_.size());
  s.first_bucket = a.first_bucket;
  s.max_position = a.max_position;
  everyone.first_bucket = a.first_bucket;
  roster_.for_each_active(now, [&](Singer& u) {
    if ((u.spectator || !u.headphones) && u.id != leader.id) {
      u.pending.delay_seconds = a.max_position;
    }
  });
  for (std::size_t i = 0; i < scratch_singers_.size(); ++i) {
    scratch_singers_[i]->pending.delay_seconds = a.follower_delays[i];
  }
  leader.pending.delay_seconds = a.first_bucket;
  s.leader = leader.id;
  s.keeper = leader.id;
  s.keeper_seen = now;
  note(RoomEventKind::kLeadTaken, &leader);
  s.image.clear();
  s.lyrics.clear();
  everyone.image = "";
  everyone.lyrics = "";
  summary_dirty_ = true;
}

void Room::hand_lead(Singer& to, Clock now, PendingKeys& everyone) {
  Song& s = song_;
  if (s.timeline.running()) {
    // Mid-song the buckets stay as they are: only who may stop the song changes.
    s.leader = to.id;
    s.keeper = to.id;
    s.keeper_seen = now;
    s.keeper_last_write.reset();
    summary_dirty_ = true;
    return;
  }
  request_lead(to, now, everyone);
}

void Room::end_song_if_keeper_gone(Clock now) {
  Song& s = song_;
  if (!s.timeline.running() || now - s.keeper_seen <= config_.leader_gone_samples) return;
  // The song ends where the keeper's audio ended (at its start if they never sang).
  const Clock start = s.timeline.start();
  s.timeline.end_at(std::max(start, s.keeper_last_write.value_or(start)));
  note(RoomEventKind::kSongEnded, nullptr);
  end_song(now);
}

void Room::start_song(const ExchangeRequest& req, const Singer& singer, Clock now,
                      PendingKeys& everyone) {
  Song& s = song_;
  mixer_.wipe();
  if (!s.keeper) s.keeper = req.user_id;
  s.keeper_seen = now;
  s.keeper_last_write.reset();
  if (const Singer* leader = roster_.find(s.leader.value_or(req.user_id))) {
    s.leader_name = leader->name;
  }
  events_ = std::make_shared<const EventList>();
  const BackingKind backing = s.start(req.read_clock, ++songs_);
  // The backing starts at the song's start (the original started tracks ~3 s late), so
  // backfill what has already been cleared.
  mixer_.fill_backing({req.read_clock, mixer_.cleared_to().value_or(now)}, s);
  note(RoomEventKind::kSongStarted, &singer);
  everyone.backing_track_type = backing_track_type(backing);
}

void Room::end_song(Clock now) {
  song_.finish();
  PendingKeys everyone;
  everyone.backing_track_type = "";
  roster_.queue_for_active(now, everyone);
}

void Room::stop_song(const ExchangeRequest& req, Singer& singer, PendingKeys& everyone) {
  Song& s = song_;
  if (s.leader && *s.leader == singer.id) {
    // The song ends where the leader's audio ends; a leader who never sang ends it here.
    s.timeline.end_at(singer.last_write_any.value_or(req.read_clock));
    note(RoomEventKind::kSongStopped, &singer);
  } else {
    note(RoomEventKind::kSongHalted, &singer);
    s.timeline.halt();  // no more reads or writes
  }
  s.finish();
  everyone.backing_track_type = "";
}

void Room::reposition_listeners(Singer* only, Clock now) {
  Clock max_delay = 0;
  roster_.for_each_active(now, [&](Singer& u) {
    if (u.soloed) max_delay = std::max(max_delay, u.delay_samples);
  });
  const int p = summary_delay_seconds(max_delay);
  if (p <= 0) return;
  const int target = p + kBucketSeconds;
  auto place = [&](Singer& u) {
    if (summary_delay_seconds(u.delay_samples) != target) u.pending.delay_seconds = target;
  };
  if (only) {
    place(*only);
  } else {
    roster_.for_each_active(now, [&](Singer& u) {
      if (u.listening) place(u);
    });
  }
}

bool Room::write(const ExchangeRequest& req, std::span<const float> upload, Singer& singer,
                 Clock now) {
  const Clock w = *req.write_clock;
  const Interval iv = ending_at(w, req.n_samples);
  singer.last_write = w;
  singer.last_write_any = w;
  if (song_.keeper == singer.id) song_.keeper_last_write = w;
  singer.write_window = iv;
  singer.rms = rms(upload);
  if (!song_.timeline.takes_upload(iv)) return false;
  const float gain = song_.upload_gain(singer.id, singer.gain);
  mixer_.mix(iv, upload, gain, singer.soloed, song_.rounds, now);
  return true;
}

void Room::read(const ExchangeRequest& req, Singer& singer, ExchangeBuffers buffers,
                ExchangeResult& result) {
  const Interval iv = ending_at(req.read_clock, req.n_samples);
  singer.last_read = req.read_clock;
  singer.read_window = iv;
  result.loopback_gain = song_.upload_gain(singer.id, singer.gain);
  result.levels = song_.levels(singer.user_backing);
  if (req.loopback) {
    result.source = ReplySource::kLoopback;
    result.n_people_heard = -1;
  } else if (singer.listening) {
    mixer_.read_solo(iv, buffers.audio);
    result.source = ReplySource::kSolo;
    result.n_people_heard = -1;
  } else if (song_.timeline.audible(iv)) {
    if (req.mix_encoded_at_backing == result.levels.user_backing) {
      result.source = ReplySource::kMixEncoded;
      result.n_people_heard = iv.empty() ? 0 : mixer_.writers_at(iv.begin);
    } else {
      mixer_.read_mix(iv, buffers);
      result.source = ReplySource::kMix;
      result.n_people_heard = buffers.writers.empty() ? 0 : buffers.writers[0];
    }
  } else {
    result.source = ReplySource::kSilence;
    result.n_people_heard = 0;
  }
}

void Room::refresh_summary(Clock now, bool force) {
  if (!force && !summary_dirty_ && now - summary_built_at_ < kSummaryRefreshSamples) return;
  auto listing = std::make_shared<SummaryListing>();
  listing->reserve(static_cast<std::size_t>(std::max(n_active_, 0)));
  roster_.for_each_active(now, [&](Singer& u) {
    listing->push_back(SummaryEntry{
        .user_id = u.id,
        .name = std::string(truncate_utf8(u.name, kListedNameBytes)),
        .mic_volume = static_cast<float>(u.mic_volume),
        .rms = u.rms,
        .delay_samples = u.delay_samples,
        .muted = u.muted,
        .soloed = u.soloed,
    });
  });
  n_active_ = static_cast<int>(listing->size());
  sort_listing(*listing);
  if (!same_listing(*listing, *summary_)) ++summary_version_;
  summary_ = std::move(listing);
  summary_built_at_ = now;
  summary_dirty_ = false;
}

void Room::expire_users(Clock now) {
  if (now - last_expiry_sweep_ < kExpirySweepSamples) return;
  last_expiry_sweep_ = now;
  sweep_departures(now);
  roster_.expire(now);
  summary_dirty_ = true;
}

void Room::sweep_departures(Clock now) {
  roster_.for_each([&](Singer& s) {
    if (s.present && !Roster::is_active(s, now)) {
      s.present = false;
      note(RoomEventKind::kSingerLeft, &s);
    }
  });
}

void Room::sweep_departures() {
  std::lock_guard lock(mutex_);
  sweep_departures(clock_.now());
}

void Room::note(RoomEventKind kind, const Singer* singer) {
  if (events_out_.size() >= kMaxPendingRoomEvents) {
    ++events_dropped_;
    return;
  }
  const bool song_event = kind == RoomEventKind::kSongStarted ||
                          kind == RoomEventKind::kSongStopped ||
                          kind == RoomEventKind::kSongHalted || kind == RoomEventKind::kSongEnded;
  events_out_.push_back(RoomEvent{.kind = kind,
                                  .user = singer ? singer->id : 0,
                                  .name = singer ? singer->name : std::string(),
                                  .song = song_event ? song_.id : 0});
}

std::uint64_t Room::take_events(std::vector<RoomEvent>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  out.swap(events_out_);
  return std::exchange(events_dropped_, 0);
}

std::size_t Room::user_records() {
  std::lock_guard lock(mutex_);
  return roster_.size();
}

RoomStatus Room::status() {
  std::lock_guard lock(mutex_);
  return {roster_.count_active(clock_.now()), config_.max_users, song_.phase()};
}

Room::SummarySnapshot Room::summary_snapshot() {
  std::lock_guard lock(mutex_);
  return {summary_, summary_version_};
}

void Room::take_chats(UserId id, std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  if (Singer* s = roster_.find(id)) std::swap(out, s->pending.chats);
}

void Room::snapshot_occupancy(OccupancySnapshot& out) {
  std::lock_guard lock(mutex_);
  mixer_.snapshot(out);
}

void Room::snapshot(RoomSnapshot& out) {
  std::lock_guard lock(mutex_);
  const Clock now = clock_.now();
  out.server_clock = now;
  out.cleared_to = mixer_.cleared_to();
  mixer_.snapshot(out.occupancy);
  out.song = song_.timeline;
  out.first_bucket = song_.first_bucket;
  out.requests = requests_;
  out.clears = mixer_.clears();
  out.cleared_samples = mixer_.cleared_samples();
  out.song_phase = song_.phase();
  out.singers.clear();
  roster_.for_each_active(now, [&](Singer& u) {
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
  if (!s.timeline.started()) {  // halted: nothing more to record (and no start to name it by)
    s.recording = false;
    chunk.finished = true;
    return chunk;
  }
  chunk.song_start = s.timeline.start();
  if (s.record_next == s.timeline.start()) chunk.leader = s.leader_name;
  Clock limit = now - Clock{s.max_position} * kSampleRate - kRecordingMarginSamples;
  if (const auto end = s.timeline.end()) limit = std::min(limit, *end);
  // Nothing of the song lies past its keeper's newest upload; waiting there means a leader who
  // vanished ends the song (after leader_gone_samples) exactly where the recording stands.
  if (s.keeper_last_write) limit = std::min(limit, *s.keeper_last_write);
  limit = std::min(limit, s.timeline.start() + config_.max_recording_samples);
  // If the recorder fell a whole ring behind, that audio is gone: skip it.
  s.record_next = std::max(s.record_next, now - kRingSamples);
  const Clock n =
      std::clamp<Clock>(limit - s.record_next, 0, static_cast<Clock>(buffers.audio.size()));
  chunk.begin = s.record_next;
  chunk.samples = static_cast<std::size_t>(n);
  if (n > 0) {
    mixer_.read_mix({s.record_next, s.record_next + n},
                    {buffers.audio.first(chunk.samples), buffers.backing.first(chunk.samples),
                     buffers.writers.first(chunk.samples)});
    s.record_next += n;
  }
  chunk.levels = s.levels(1.0);
  const auto end = s.timeline.end();
  if ((end && s.record_next >= *end) ||
      s.record_next >= s.timeline.start() + config_.max_recording_samples) {
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
