// brigade: the hand-over of uploaded Opus packets from the exchange path to the recorder thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

#include "brigade/codec/packet_container.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/storage/stem_track.hpp"

namespace brigade::server {

/// Whose upload, for which song, written where.
struct StemUpload {
  std::uint64_t song = 0;  ///< the room's song number
  Clock song_start = 0;    ///< that song's start clock
  UserId user = 0;
  Clock begin = 0;        ///< clock of the upload's first sample (write clock − n_samples)
  std::string_view name;  ///< the singer's display name
};

/// What became of the queued uploads: written by the recorder thread, read by /metrics.
struct StemCounters {
  std::atomic<std::uint64_t> stems{0};            ///< stem files started
  std::atomic<std::uint64_t> packets{0};          ///< uploaded packets written
  std::atomic<std::uint64_t> silence_packets{0};  ///< gap-filling packets written
  std::atomic<std::uint64_t> dropped_packets{0};  ///< overlapping, before the song, past its cap
  std::atomic<std::uint64_t> refused_uploads{0};  ///< late for their song, too many stems, errors
};

/// A bounded queue of uploads, in bytes. The exchange path copies each upload in (a short
/// critical section: one memcpy, no allocation, no syscall; never the room lock) and never
/// waits: when the queue is full the upload is dropped and counted. The recorder thread takes
/// everything queued at once by swapping two buffers of equal capacity, and reads it outside
/// the lock.
class StemQueue {
 public:
  /// Default capacity: 8 MiB per buffer, about 1,000 singers' uploads at 64 kbit/s for 1 s,
  /// while the recorder drains every 250 ms.
  static constexpr std::size_t kDefaultCapacityBytes = std::size_t{8} << 20;

  explicit StemQueue(std::size_t capacity_bytes = kDefaultCapacityBytes);

  /// Exchange path: queues one upload; false (and counted in dropped()) when it does not fit.
  bool push(const StemUpload& upload, PacketSpans packets);

  /// Recorder thread: calls `f` for every upload queued so far, in order, outside the lock.
  /// The views passed to `f` are valid during the call only.
  void drain(const std::function<void(const StemUpload&, PacketSpans)>& f);

  std::uint64_t queued() const { return queued_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::size_t capacity_bytes() const { return capacity_; }

  /// The recorder's side of the pipeline.
  StemCounters counters;

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::vector<std::uint8_t> front_;  ///< filled by push(), guarded by mutex_
  std::size_t front_used_ = 0;       ///< guarded by mutex_
  std::vector<std::uint8_t> back_;   ///< read by drain() (recorder thread only)
  PacketList packets_;               ///< drain()'s views (recorder thread only)
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace brigade::server
