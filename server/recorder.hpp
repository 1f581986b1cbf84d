// brigade: writes each song, as the last bucket hears it, to the recordings directory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "brigade/recording_store.hpp"
#include "brigade/room.hpp"

namespace brigade::server {

/// A background thread takes finished audio from the room a few times a second (under the room
/// lock only for the copy), renders it with the listeners' mix formula and streams it to the
/// store (file I/O outside the lock). Destruction stops the thread and finishes the file. An
/// I/O error (full disk, unwritable folder, file size limit) stops that song's recording with
/// one log line; the file keeps what reached the disk, with a header that agrees with it.
class Recorder {
 public:
  /// How often the thread looks for new audio.
  static constexpr std::chrono::milliseconds kPollInterval{250};
  /// Largest block taken from the room at once: 1 s.
  static constexpr std::size_t kBlockSamples = kSampleRate;

  Recorder(Room& room, RecordingStore& store);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Starts the background thread.
  void start();
  /// One pass: takes and writes everything the room has ready. Returns samples written.
  std::size_t step();

 private:
  void run();
  /// Finishes the open file, if any.
  void close_file();
  /// Stops recording the current song after an I/O error, with one log line.
  void give_up(const std::string& why);

  Room& room_;
  RecordingStore& store_;
  std::uint64_t song_ = 0;  ///< song being written; 0 = none
  bool file_open_ = false;
  /// The current song hit an I/O error: its remaining audio is dropped.
  bool failed_ = false;
  std::vector<float> audio_, backing_;
  std::vector<WriterCount> writers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace brigade::server
