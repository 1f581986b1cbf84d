// brigade: one singer's own track of a song (a "stem"): their uploaded Opus packets, unchanged,
// in an Ogg Opus file whose first sample is the song's start clock.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "brigade/codec/ogg_opus_writer.hpp"
#include "brigade/engine/clock.hpp"
#include "brigade/result.hpp"

namespace brigade {

/// Views of consecutive Opus packets (e.g. one upload's).
using PacketSpans = std::span<const std::span<const std::uint8_t>>;

/// Opus packets of digital silence, encoded once, that fill the time a singer did not upload.
/// Gaps end with SILK-only packets: libopus resets its CELT decoder when a CELT packet follows
/// another mode, so the singer's first packet after a gap decodes as it did on the server (whose
/// decoder was fresh), not from a state the silence left behind. Any rest shorter than 10 ms is
/// filled with CELT-only packets of 5 and 2.5 ms first.
class SilencePackets {
 public:
  /// SILK-only durations (narrowband, 6 kbit/s): 60, 40, 20, 10 ms at 48 kHz.
  static constexpr std::array<int, 4> kSilkDurations{2'880, 1'920, 960, 480};
  /// CELT-only durations (restricted low delay): 5 and 2.5 ms. A gap is filled to within 120.
  static constexpr std::array<int, 2> kCeltDurations{240, 120};

  /// Encodes the packets; throws codec::OpusError if libopus fails.
  SilencePackets();
  /// The SILK silence packet of kSilkDurations[i].
  std::span<const std::uint8_t> silk(std::size_t i) const { return silk_.at(i); }
  /// The CELT silence packet of kCeltDurations[i].
  std::span<const std::uint8_t> celt(std::size_t i) const { return celt_.at(i); }

 private:
  std::array<std::vector<std::uint8_t>, kSilkDurations.size()> silk_;
  std::array<std::vector<std::uint8_t>, kCeltDurations.size()> celt_;
};

/// Where a stem sits: sample 0 (after pre-skip) plays at `start`; nothing past `max_samples`.
struct StemSong {
  Clock start = 0;
  Clock max_samples = 0;
};

/// What a stem did with the packets it was given.
struct StemCounts {
  std::uint64_t packets = 0;          ///< uploaded packets written
  std::uint64_t silence_packets = 0;  ///< filler packets written
  std::uint64_t overlapping = 0;      ///< dropped: they start before what is already written
  std::uint64_t outside = 0;          ///< dropped: wholly before the song or past its cap
};

/// Places uploads on the song clock. The first upload fixes the pre-skip so that its first
/// sample lands exactly where it was written (a singer who starts late gets silence packets
/// before it, one who starts early loses what precedes the song but its last second, kept under the
/// pre-skip so that the decoder has converged); a gap between uploads is
/// filled with silence packets to within 2.5 ms (the upload after it sits that much early at
/// most, never late); a packet that starts
/// before the end of what is written (a singer who rewound after a reset) is dropped, since an
/// Ogg stream cannot overlap itself. The decoded stem therefore lines up with the mix sample for
/// sample, as the server mixed the decoder's output at the write clock.
class StemTrack {
 public:
  /// Creates the file at `path` (must not exist) and places the first upload, which starts at
  /// clock `begin`. `header.pre_skip` is computed here.
  static Result<StemTrack> create(const std::filesystem::path& path, OggOpusHeader header,
                                  const SilencePackets& silence, StemSong song, Clock begin,
                                  PacketSpans packets);

  /// Places one upload that starts at clock `begin`. Fails on a packet libopus cannot size (the
  /// upload is skipped) or on an I/O error.
  Result<void> add(Clock begin, PacketSpans packets);
  /// Writes the last page and closes the file.
  Result<void> finish() { return writer_.finish(); }

  const StemCounts& counts() const { return counts_; }
  /// Clock of the next sample the stream would play.
  Clock end_clock() const { return next_; }
  std::uint64_t bytes_written() const { return writer_.bytes_written(); }

 private:
  StemTrack(OggOpusWriter writer, const SilencePackets& silence, StemSong song, Clock origin)
      : writer_(std::move(writer)), silence_(&silence), song_(song), next_(origin) {}
  Result<void> fill(Clock gap);
  Result<void> put_silence(std::span<const std::uint8_t> packet, int samples);

  OggOpusWriter writer_;
  const SilencePackets* silence_;
  StemSong song_;
  Clock next_;  ///< clock at which the next packet written would start playing
  StemCounts counts_;
};

/// Samples one Opus packet decodes to at 48 kHz, or a negative libopus error code.
int opus_packet_samples(std::span<const std::uint8_t> packet);

}  // namespace brigade
