// brigade: writes each song, as the last bucket hears it, to the recordings directory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "brigade/engine/room.hpp"
#include "brigade/storage/recording_store.hpp"
#include "metrics.hpp"
#include "stem_queue.hpp"
#include "stem_recorder.hpp"

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
  /// The thread's niceness (Linux: per thread), so that it yields the core to the I/O threads.
  /// At their priority, each pass (milliseconds of file writes with hundreds of stems) held
  /// exchanges off a busy core: 300 singers on one core, exchange p99 31 ms with stems, 15 ms
  /// without. At nice 10 it still gets about a tenth of a saturated core, several times what
  /// 1,000 singers' stems need.
  static constexpr int kThreadNice = 10;
  /// The thread's name (/proc/PID/task/TID/comm, top -H).
  static constexpr const char* kThreadName = "brigade-rec";
  /// Largest block taken from the room at once: 1 s.
  static constexpr std::size_t kBlockSamples = kSampleRate;

  /// `metrics` may be null; write failures count as brigade_errors_total{reason="recording"}.
  /// `stems` may be null (no stems); it outlives the recorder.
  Recorder(Room& room, RecordingStore& store, Metrics* metrics = nullptr,
           StemQueue* stems = nullptr);
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
  /// Takes and writes the mix the room has ready.
  std::size_t take_mix();
  /// Makes `song` the one being written and opens its files; false for an older song or when
  /// no file can be created.
  bool open_song(std::uint64_t song);
  /// Finishes the files of the song being written.
  void close_song();
  /// Finishes the open file and logs recording_finished with its size.
  void finish_file();
  void report(std::string_view what, const std::string& error);
  /// Stops recording the current song after an I/O error, with one log line.
  void give_up(const std::string& why);

  Room& room_;
  RecordingStore& store_;
  Metrics* metrics_;
  std::uint64_t song_ = 0;         ///< song being written; 0 = none
  std::uint64_t last_closed_ = 0;  ///< newest song whose files were finished
  RecordingInfo info_;             ///< what the listing shows about song_
  bool file_open_ = false;
  /// The current song hit an I/O error: its remaining audio is dropped.
  bool failed_ = false;
  std::vector<float> audio_, backing_;
  std::vector<WriterCount> writers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool stopped_ = false;  ///< stop() ran (owner's thread only)
  StemQueue* stem_queue_;
  std::unique_ptr<StemRecorder> stems_;  ///< null without a queue
  std::thread thread_;
};

}  // namespace brigade::server
