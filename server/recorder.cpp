// brigade: song recorder.
#include "recorder.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>

#include "brigade/engine/volume.hpp"
#include "log.hpp"

namespace brigade::server {

Recorder::Recorder(Room& room, RecordingStore& store, Metrics* metrics, StemQueue* stems)
    : room_(room),
      store_(store),
      metrics_(metrics),
      audio_(kBlockSamples),
      backing_(kBlockSamples),
      writers_(kBlockSamples),
      stem_queue_(stems),
      stems_(stems ? std::make_unique<StemRecorder>(room.max_recording_samples(), stems->counters)
                   : nullptr) {}

Recorder::~Recorder() {
  stop();
}

void Recorder::stop() {
  if (stopped_) return;  // once only: a later step() would open a new file for the song
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  step();  // whatever is final already
  close_song();
}

void Recorder::report(std::string_view what, const std::string& error) {
  log_event(LogLevel::kWarn, "recording_error", {{"during", what}, {"error", error}});
  if (metrics_) metrics_->record_error(ErrorReason::kRecording);
}

void Recorder::finish_file() {
  // The stems first: the listing shows the song finished once its file is, and a client may then
  // fetch any stem, which must be complete (its last Ogg page written) by that time.
  if (stems_) stems_->finish_song();
  if (!file_open_) return;
  file_open_ = false;
  const auto name = store_.current();
  const std::uint64_t samples = store_.current_samples();
  // A failure already reported by give_up() is not reported again.
  if (auto done = store_.finish(); !done) {
    if (!failed_) report("finish", done.error());
    return;
  }
  std::error_code ec;
  const auto bytes = name ? std::filesystem::file_size(store_.dir() / *name, ec) : 0;
  log_event(LogLevel::kInfo, "recording_finished",
            {{"file", name.value_or("")},
             {"bytes", ec ? std::uintmax_t{0} : bytes},
             {"seconds", static_cast<double>(samples * 1000 / kSampleRate) / 1000.0}});
}

void Recorder::start() {
  thread_ = std::thread([this] { run(); });
}

void Recorder::run() {
  pthread_setname_np(pthread_self(), kThreadName);
  // Lowering one's own priority needs no privilege; should it fail, recording goes on as is.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kThreadNice);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    step();
    lock.lock();
    wake_.wait_for(lock, kPollInterval, [this] { return stopping_; });
  }
}

void Recorder::give_up(const std::string& why) {
  // Once per song: the rest of it is skipped; the next song tries again.
  log_event(LogLevel::kWarn, "recording_stopped",
            {{"reason", "recording stopped for this song: " + why}});
  if (metrics_) metrics_->record_error(ErrorReason::kRecording);
  failed_ = true;
  finish_file();
}

std::size_t Recorder::step() {
  const std::size_t written = take_mix();
  if (stem_queue_) {
    stem_queue_->drain([this](const StemUpload& upload, PacketSpans packets) {
      // A song the mix has not seen yet started after take_mix(): take again, which notes its
      // leader's name for the listing.
      if (upload.song > song_) take_mix();
      if (open_song(upload.song)) {
        stems_->add(upload, packets);
      } else {
        stems_->refuse();
      }
    });
  }
  return written;
}

std::size_t Recorder::take_mix() {
  std::size_t written = 0;
  for (;;) {
    const RecordingChunk chunk = room_.take_recording({audio_, backing_, writers_});
    if (chunk.song != song_) {
      close_song();
      song_ = chunk.song;
      info_ = RecordingInfo{chunk.leader, chunk.song_start};
    }
    if (chunk.samples > 0 && !failed_) {
      if (!open_song(chunk.song)) return written;
      const auto n = chunk.samples;
      render_reply(std::span(audio_).first(n), std::span(backing_).first(n),
                   std::span(writers_).first(n), chunk.levels);
      if (auto ok = store_.append(std::span(audio_).first(n)); !ok) {
        give_up(ok.error() + " (the file keeps what was written, with a matching header)");
      } else {
        written += n;
      }
    }
    if (chunk.finished) close_song();
    if (chunk.samples < kBlockSamples) return written;
  }
}

bool Recorder::open_song(std::uint64_t song) {
  if (song == 0 || song <= last_closed_) return false;
  if (song != song_) {
    close_song();
    song_ = song;
    info_ = {};
  }
  if (failed_) return false;  // this song's recording stopped after a write error
  if (file_open_) return true;
  auto name = store_.start(std::chrono::system_clock::now(), info_);
  if (!name) {
    report("start", name.error());
    return false;
  }
  file_open_ = true;
  log_event(LogLevel::kInfo, "recording_started", {{"file", name.value()}, {"song", song}});
  if (stems_) stems_->begin_song(store_.stems_dir(name.value()));
  return true;
}

void Recorder::close_song() {
  finish_file();
  last_closed_ = std::max(last_closed_, song_);
  song_ = 0;
  failed_ = false;
}

}  // namespace brigade::server
