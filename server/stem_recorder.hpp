// brigade: writes each singer's stem of the song being recorded (recorder thread only).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "brigade/storage/stem_track.hpp"
#include "stem_queue.hpp"

namespace brigade::server {

/// One StemTrack per singer of the current song, as "<name>-<userid>.opus" in the song's
/// stems directory (made when the first stem starts). Used by the Recorder's thread only; does
/// file I/O, never under the room lock.
class StemRecorder {
 public:
  /// Most stems in one song (each holds a file open while the song is recorded).
  static constexpr std::size_t kMaxStemsPerSong = 1'024;
  /// Longest bytes of a singer's name kept in a stem's file name.
  static constexpr std::size_t kMaxFileNameStemBytes = 40;

  /// `max_song_samples`: the recording cap a stem respects, like the mix. `counters` outlives
  /// this object.
  StemRecorder(Clock max_song_samples, StemCounters& counters);
  ~StemRecorder() { finish_song(); }
  StemRecorder(const StemRecorder&) = delete;
  StemRecorder& operator=(const StemRecorder&) = delete;

  /// Finishes the open song, if any, and writes the next one's stems into `dir`.
  void begin_song(std::filesystem::path dir);
  /// Places one upload of the open song in its singer's stem.
  void add(const StemUpload& upload, PacketSpans packets);
  /// Finishes every stem of the open song.
  void finish_song();
  /// Counts an upload that could not be given to a song (its song was already finished).
  void refuse() { counters_.refused_uploads.fetch_add(1, std::memory_order_relaxed); }

  /// "<name>-<userid>.opus" with the name reduced to [A-Za-z0-9_-] ('_' for anything else, at
  /// most kMaxFileNameStemBytes bytes; "singer" when nothing is left).
  static std::string file_name(std::string_view singer, UserId user);

 private:
  void fail(const std::string& what);
  void count(const StemCounts& before, const StemCounts& after);

  const Clock max_song_samples_;
  const SilencePackets silence_;
  std::filesystem::path dir_;
  bool open_ = false;
  std::uint32_t next_serial_;
  std::unordered_map<UserId, StemTrack> tracks_;
  /// Singers whose stem could not be created in this song (logged once, then refused).
  std::unordered_set<UserId> failed_;
  StemCounters& counters_;
};

}  // namespace brigade::server
