// brigade: writes each song, as the last bucket hears it, to the recordings directory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "brigade/recording_store.hpp"
#include "brigade/room.hpp"
#include "metrics.hpp"

namespace brigade::server {

/// A background thread takes finished audio from the room a few times a second (under the room
/// lock only for the copy), renders it with the listeners' mix formula and streams it to the
/// store (file I/O outside the lock). Destruction stops the thread and finishes the file.
class Recorder {
 public:
  /// How often the thread looks for new audio.
  static constexpr std::chrono::milliseconds kPollInterval{250};
  /// Largest block taken from the room at once: 1 s.
  static constexpr std::size_t kBlockSamples = kSampleRate;

  /// `metrics` may be null; write failures count as brigade_errors_total{reason="recording"}.
  Recorder(Room& room, RecordingStore& store, Metrics* metrics = nullptr);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Starts the background thread.
  void start();
  /// Stops the thread, writes what is final and finishes the open file (idempotent; the
  /// destructor calls it).
  void stop();
  /// One pass: takes and writes everything the room has ready. Returns samples written.
  std::size_t step();

 private:
  void run();
  /// Finishes the open file and logs recording_finished with its size.
  void finish_file();
  void report(std::string_view what, const std::string& error);

  Room& room_;
  RecordingStore& store_;
  Metrics* metrics_;
  std::uint64_t song_ = 0;  ///< song being written; 0 = none
  bool file_open_ = false;
  std::vector<float> audio_, backing_;
  std::vector<WriterCount> writers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool stopped_ = false;  ///< stop() ran (owner's thread only)
  std::thread thread_;
};

}  // namespace brigade::server
