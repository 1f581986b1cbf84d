// brigade: stems on the song clock.
#include "brigade/stem_track.hpp"

#include <opus/opus.h>

#include <vector>

#include "brigade/opus_codec.hpp"

namespace brigade {
namespace {

/// Largest packet libopus can produce (opus.h's recommended output buffer).
constexpr std::size_t kMaxEncodedBytes = 4'000;
/// Least pre-skip: libopus's encoder delay at 48 kHz (opusinfo warns below 120).
constexpr Clock kMinPreSkipSamples = 312;
/// A quiet, low bitrate: silence costs a few bytes per packet either way.
constexpr opus_int32 kSilenceBitrate = 8'000;

}  // namespace

int opus_packet_samples(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return OPUS_INVALID_PACKET;
  return opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()),
                                    kSampleRate);
}

SilencePackets::SilencePackets() {
  int error = OPUS_OK;
  std::unique_ptr<::OpusEncoder, codec::EncoderDeleter> encoder(
      opus_encoder_create(kSampleRate, 1, OPUS_APPLICATION_RESTRICTED_LOWDELAY, &error));
  if (error != OPUS_OK || !encoder) throw codec::OpusError("opus_encoder_create", error);
  if (const int rc = opus_encoder_ctl(encoder.get(), OPUS_SET_BITRATE(kSilenceBitrate));
      rc != OPUS_OK) {
    throw codec::OpusError("OPUS_SET_BITRATE", rc);
  }
  const std::vector<float> zeros(static_cast<std::size_t>(kDurations[0]), 0.0f);
  std::vector<std::uint8_t> out(kMaxEncodedBytes);
  for (std::size_t i = 0; i < kDurations.size(); ++i) {
    const opus_int32 n = opus_encode_float(encoder.get(), zeros.data(), kDurations[i], out.data(),
                                           static_cast<opus_int32>(out.size()));
    if (n < 0) throw codec::OpusError("opus_encode_float", n);
    packets_[i].assign(out.begin(), out.begin() + n);
  }
}

Result<StemTrack> StemTrack::create(const std::filesystem::path& path, OggOpusHeader header,
                                    const SilencePackets& silence, StemSong song, Clock begin,
                                    PacketSpans packets) {
  // Packets that end before the song starts are not part of it; the first one kept fixes the
  // pre-skip.
  std::size_t first = 0;
  for (; first < packets.size(); ++first) {
    const int samples = opus_packet_samples(packets[first]);
    if (samples <= 0) return Error{"bad Opus packet"};
    if (begin + samples > song.start) break;
    begin += samples;
  }
  if (first == packets.size()) return Error{"the upload ends before the song starts"};
  // The stream starts `pre_skip` before the song, so that whole 60 ms silence packets reach
  // `begin` exactly; players (and opusinfo) expect at least an encoder's delay of pre-skip.
  constexpr Clock kLongest = SilencePackets::kDurations[0];
  const Clock late = begin - song.start;  // > -120 ms: the packet at `begin` reaches the song
  Clock pre_skip = ((-late) % kLongest + kLongest) % kLongest;
  while (pre_skip < kMinPreSkipSamples || late + pre_skip < 0) pre_skip += kLongest;
  header.pre_skip = static_cast<std::uint16_t>(pre_skip);
  const Clock origin = song.start - header.pre_skip;
  auto writer = OggOpusWriter::create(path, header);
  if (!writer) return Error{writer.error()};
  StemTrack track(std::move(writer).value(), silence, song, origin);
  track.counts_.outside += first;
  if (auto r = track.add(begin, packets.subspan(first)); !r) return Error{r.error()};
  return track;
}

Result<void> StemTrack::add(Clock begin, PacketSpans packets) {
  // Size every packet first, so that a bad one skips the whole upload rather than half of it.
  for (const auto packet : packets) {
    if (opus_packet_samples(packet) <= 0) return Error{"bad Opus packet"};
  }
  const Clock cap = song_.start + song_.max_samples;
  Clock at = begin;
  for (const auto packet : packets) {
    const int samples = opus_packet_samples(packet);
    const Clock start = at;
    at += samples;
    if (at <= song_.start || at > cap) {
      ++counts_.outside;
      continue;
    }
    if (start < next_) {
      ++counts_.overlapping;
      continue;
    }
    if (auto r = fill(start - next_); !r) return r;
    if (auto r = writer_.append(packet, samples); !r) return r;
    next_ += samples;
    ++counts_.packets;
  }
  return {};
}

Result<void> StemTrack::fill(Clock gap) {
  for (std::size_t i = 0; i < SilencePackets::kDurations.size(); ++i) {
    const int samples = SilencePackets::kDurations[i];
    for (; gap >= samples; gap -= samples) {
      if (auto r = writer_.append(silence_->packet(i), samples); !r) return r;
      next_ += samples;
      ++counts_.silence_packets;
    }
  }
  return {};
}

}  // namespace brigade
