// brigade: one Opus stream per group of singers who hear the same mix at the same frames.
//
// Encoding is most of the server's work (~2.4 ms of CPU per 600 ms reply). Singers at the same
// delay whose read windows sit on the 60 ms frame grid read the same frames of the same ring, so
// the first of them to reach a frame encodes it with the group's encoder and the others reuse
// the packet. Each singer then receives consecutive packets of one continuous encoder stream, as
// its decoder expects. A frame that is no longer cached, or that the group's encoder has already
// passed without encoding, is a miss: the singer's own encoder makes that packet.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "brigade/codec/opus_codec.hpp"

namespace brigade::server {

/// Who may share a stream: the same delay (whole seconds) and the same own-backing level.
struct ShareKey {
  std::int64_t delay_seconds = 0;
  float user_backing = 1.0f;
  friend bool operator==(const ShareKey&, const ShareKey&) = default;
};

/// Counters for telemetry.
struct SharedEncoderStats {
  std::uint64_t encoded = 0;   ///< frames encoded by group encoders
  std::uint64_t reused = 0;    ///< frames served from a group's cache
  std::uint64_t missed = 0;    ///< frames the singer's own encoder had to make
  std::uint64_t refused = 0;   ///< requests that found kMaxGroups groups and no room for theirs
  std::uint64_t unshared = 0;  ///< frames of replies that cannot share (see count_unshared)
  /// Replies served whole from a group's cache before the room ran (see append_cached): their
  /// mix was never copied out of the ring nor rendered. Their frames count as reused.
  std::uint64_t whole_replies = 0;
};

class SharedEncoders {
 public:
  /// Frames a group keeps (7.68 s): more than the spread of one bucket's read windows.
  static constexpr std::size_t kCachedFrames = 128;
  /// Most groups alive at once (each ~530 KB: 34 MB in all). Keys are bounded already (whole
  /// seconds of delay × user_backing_volume in 0.05 steps), but a flood of distinct keys must
  /// not grow memory: beyond the cap a singer simply uses its own encoder.
  static constexpr std::size_t kMaxGroups = 64;

  /// Appends one packet per 60 ms frame of `pcm` to `out` in the API's container framing.
  /// `first_frame` is the absolute index (clock / 2880) of pcm's first frame. `own` encodes a
  /// frame on a miss, and every frame when kMaxGroups groups exist and `key` is not one of
  /// them (made then if it does not exist yet). Returns false (with `out` partly written) when
  /// an encoder fails.
  bool append_packets(const ShareKey& key, std::int64_t first_frame, std::span<const float> pcm,
                      std::optional<codec::Encoder>& own, std::string& out,
                      std::int64_t now_seconds);

  /// Appends to `out`, in the API's container framing, the packets `key`'s group holds for the
  /// `frames` frames from `first_frame`, when it holds every one of them (else appends nothing
  /// and returns false). Such a reply needs no PCM: the room need not copy its mix out.
  bool append_cached(const ShareKey& key, std::int64_t first_frame, std::size_t frames,
                     std::string& out, std::int64_t now_seconds);
  /// Counts a reply of `frames` frames served whole from a group's cache (see append_cached).
  void count_whole_reply(std::size_t frames) {
    reused_.fetch_add(frames, std::memory_order_relaxed);
    whole_replies_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Counts `frames` encoded by a singer's own encoder because the reply was not shareable.
  void count_unshared(std::size_t frames) {
    unshared_.fetch_add(frames, std::memory_order_relaxed);
  }

  SharedEncoderStats stats() const;
  std::size_t group_count();

 private:
  struct Slot {
    std::int64_t frame = -1;
    std::uint16_t size = 0;
    std::array<std::uint8_t, codec::kMaxReplyPacketBytes> bytes{};
  };
  struct Group {
    std::mutex mutex;
    codec::Encoder encoder;
    std::int64_t next_frame = -1;  ///< the frame the encoder expects next; -1 = fresh
    std::array<Slot, kCachedFrames> slots;
    std::int64_t last_used = 0;  ///< seconds; guarded by the registry mutex
  };
  struct KeyHash {
    std::size_t operator()(const ShareKey& k) const noexcept;
  };

  /// Shared ownership: a concurrent sweep may drop the map's entry while a request uses it.
  /// Null when kMaxGroups groups exist and none is `key`'s.
  std::shared_ptr<Group> group(const ShareKey& key, std::int64_t now_seconds);
  /// `key`'s group if it exists (marked used), else null: a lookup makes no group.
  std::shared_ptr<Group> existing_group(const ShareKey& key, std::int64_t now_seconds);
  /// Encodes every 60 ms frame of `pcm` with the singer's own encoder, appending packets.
  static bool encode_own(std::span<const float> pcm, std::optional<codec::Encoder>& own,
                         std::string& out);

  std::mutex mutex_;
  std::unordered_map<ShareKey, std::shared_ptr<Group>, KeyHash> groups_;
  std::int64_t last_sweep_ = 0;
  std::atomic<std::uint64_t> encoded_{0}, reused_{0}, missed_{0}, refused_{0}, unshared_{0},
      whole_replies_{0};
};

}  // namespace brigade::server
