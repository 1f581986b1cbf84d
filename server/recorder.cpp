// brigade: song recorder.
#include "recorder.hpp"

#include <filesystem>

#include "brigade/volume.hpp"
#include "log.hpp"

namespace brigade::server {

Recorder::Recorder(Room& room, RecordingStore& store, Metrics* metrics)
    : room_(room),
      store_(store),
      metrics_(metrics),
      audio_(kBlockSamples),
      backing_(kBlockSamples),
      writers_(kBlockSamples) {}

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
  finish_file();
}

void Recorder::report(std::string_view what, const std::string& error) {
  log_event(LogLevel::kWarn, "recording_error", {{"during", what}, {"error", error}});
  if (metrics_) metrics_->record_error(ErrorReason::kRecording);
}

void Recorder::finish_file() {
  if (!file_open_) return;
  file_open_ = false;
  const auto name = store_.current();
  const std::uint64_t samples = store_.current_samples();
  if (auto done = store_.finish(); !done) return report("finish", done.error());
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
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    step();
    lock.lock();
    wake_.wait_for(lock, kPollInterval, [this] { return stopping_; });
  }
}

std::size_t Recorder::step() {
  std::size_t written = 0;
  for (;;) {
    const RecordingChunk chunk = room_.take_recording({audio_, backing_, writers_});
    if (chunk.song != song_) {
      finish_file();
      song_ = chunk.song;
    }
    if (chunk.samples > 0) {
      if (!file_open_) {
        auto name = store_.start(std::chrono::system_clock::now(),
                                 RecordingInfo{chunk.leader, chunk.song_start});
        if (!name) {
          report("start", name.error());
          return written;
        }
        file_open_ = true;
        log_event(LogLevel::kInfo, "recording_started",
                  {{"file", name.value()}, {"song", chunk.song}});
      }
      const auto n = chunk.samples;
      render_reply(std::span(audio_).first(n), std::span(backing_).first(n),
                   std::span(writers_).first(n), chunk.levels);
      if (auto ok = store_.append(std::span(audio_).first(n)); !ok) report("append", ok.error());
      written += n;
    }
    if (chunk.finished) {
      finish_file();
      song_ = 0;
    }
    if (chunk.samples < kBlockSamples) return written;
  }
}

}  // namespace brigade::server
