// brigade: writes each song, as the last bucket hears it, to the recordings directory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "brigade/recording_store.hpp"
#include "brigade/room.hpp"
#include "stem_queue.hpp"
#include "stem_recorder.hpp"

namespace brigade::server {

/// A background thread takes finished audio from the room a few times a second (under the room
/// lock only for the copy), renders it with the listeners' mix formula and streams it to the
/// store (file I/O outside the lock). With a StemQueue it also writes each singer's stem from
/// the packets the exchanges queued, into the song's stems directory (named like the mix without
/// ".wav"), so that a song's mix and stems start, finish and are deleted together. Destruction
/// stops the thread and finishes the files.
class Recorder {
 public:
  /// How often the thread looks for new audio.
  static constexpr std::chrono::milliseconds kPollInterval{250};
  /// Largest block taken from the room at once: 1 s.
  static constexpr std::size_t kBlockSamples = kSampleRate;

  /// `stems` may be null (no stems); it outlives the recorder.
  Recorder(Room& room, RecordingStore& store, StemQueue* stems = nullptr);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Starts the background thread.
  void start();
  /// One pass: takes and writes everything the room has ready (mix and stems). Returns mix
  /// samples written.
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

  Room& room_;
  RecordingStore& store_;
  std::uint64_t song_ = 0;         ///< song being written; 0 = none
  std::uint64_t last_closed_ = 0;  ///< newest song whose files were finished
  RecordingInfo info_;             ///< what the listing shows about song_
  bool file_open_ = false;
  std::vector<float> audio_, backing_;
  std::vector<WriterCount> writers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  StemQueue* stem_queue_;
  std::unique_ptr<StemRecorder> stems_;  ///< null without a queue
  std::thread thread_;
};

}  // namespace brigade::server
