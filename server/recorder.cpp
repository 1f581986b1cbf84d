// brigade: song recorder.
#include "recorder.hpp"

#include "brigade/volume.hpp"
#include "log.hpp"

namespace brigade::server {

Recorder::Recorder(Room& room, RecordingStore& store)
    : room_(room),
      store_(store),
      audio_(kBlockSamples),
      backing_(kBlockSamples),
      writers_(kBlockSamples) {}

Recorder::~Recorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  step();  // whatever is final already
  if (file_open_) (void)store_.finish();
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
      if (file_open_) {
        if (auto done = store_.finish(); !done)
          log_line(LogLevel::kWarn, "recording: " + done.error());
        file_open_ = false;
      }
      song_ = chunk.song;
    }
    if (chunk.samples > 0) {
      if (!file_open_) {
        auto name = store_.start(std::chrono::system_clock::now(),
                                 RecordingInfo{chunk.leader, chunk.song_start});
        if (!name) {
          log_line(LogLevel::kWarn, "recording: " + name.error());
          return written;
        }
        file_open_ = true;
        log_line(LogLevel::kInfo, "recording " + name.value());
      }
      const auto n = chunk.samples;
      render_reply(std::span(audio_).first(n), std::span(backing_).first(n),
                   std::span(writers_).first(n), chunk.levels);
      if (auto ok = store_.append(std::span(audio_).first(n)); !ok) {
        log_line(LogLevel::kWarn, "recording: " + ok.error());
      }
      written += n;
    }
    if (chunk.finished) {
      if (file_open_) {
        if (auto done = store_.finish(); !done)
          log_line(LogLevel::kWarn, "recording: " + done.error());
        file_open_ = false;
      }
      song_ = 0;
    }
    if (chunk.samples < kBlockSamples) return written;
  }
}

}  // namespace brigade::server
