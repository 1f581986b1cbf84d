// brigade: stems on the song clock.
#include "brigade/storage/stem_track.hpp"

#include <opus/opus.h>

#include <vector>

#include "brigade/codec/opus_codec.hpp"

namespace brigade {
namespace {

/// Largest packet libopus can produce (opus.h's recommended output buffer).
constexpr std::size_t kMaxEncodedBytes = 4'000;
/// Least pre-skip: libopus's encoder delay at 48 kHz, the codec delay (opusinfo warns below 120).
constexpr Clock kMinPreSkipSamples = codec::kCodecDelaySamples;
/// Audio kept before the song under the pre-skip (at most 1 s + one packet < 65,535).
constexpr Clock kPreRollSamples = kSampleRate;
/// SILK's lowest useful bitrate: silence costs a few bytes per packet either way.
constexpr opus_int32 kSilkBitrate = 6'000;

}  // namespace

int opus_packet_samples(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return OPUS_INVALID_PACKET;
  return opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()),
                                    kSampleRate);
}

namespace {

using EncoderHandle = std::unique_ptr<::OpusEncoder, codec::EncoderDeleter>;

EncoderHandle make_encoder(int application) {
  int error = OPUS_OK;
  EncoderHandle encoder(opus_encoder_create(kSampleRate, 1, application, &error));
  if (error != OPUS_OK || !encoder) throw codec::OpusError("opus_encoder_create", error);
  return encoder;
}

void check(const char* call, int rc) {
  if (rc != OPUS_OK) throw codec::OpusError(call, rc);
}

/// One packet of `samples` zeros; throws unless its TOC says `silk` (configurations 0-11) or
/// CELT (16-31) as asked.
std::vector<std::uint8_t> encode_silence(OpusEncoder* encoder, int samples, bool silk) {
  const std::vector<float> zeros(static_cast<std::size_t>(samples), 0.0f);
  std::vector<std::uint8_t> out(kMaxEncodedBytes);
  const opus_int32 n = opus_encode_float(encoder, zeros.data(), samples, out.data(),
                                         static_cast<opus_int32>(out.size()));
  if (n < 0) throw codec::OpusError("opus_encode_float", n);
  const int config = out[0] >> 3;
  if (silk ? config >= 12 : config < 16)
    throw codec::OpusError("silence packet mode", OPUS_INTERNAL_ERROR);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

SilencePackets::SilencePackets() {
  const EncoderHandle silk = make_encoder(OPUS_APPLICATION_VOIP);
  check("OPUS_SET_BITRATE", opus_encoder_ctl(silk.get(), OPUS_SET_BITRATE(kSilkBitrate)));
  check("OPUS_SET_BANDWIDTH",
        opus_encoder_ctl(silk.get(), OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_NARROWBAND)));
  check("OPUS_SET_SIGNAL", opus_encoder_ctl(silk.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)));
  for (std::size_t i = 0; i < kSilkDurations.size(); ++i) {
    silk_[i] = encode_silence(silk.get(), kSilkDurations[i], true);
  }
  const EncoderHandle celt = make_encoder(OPUS_APPLICATION_RESTRICTED_LOWDELAY);
  for (std::size_t i = 0; i < kCeltDurations.size(); ++i) {
    celt_[i] = encode_silence(celt.get(), kCeltDurations[i], false);
  }
}

Result<StemTrack> StemTrack::create(const std::filesystem::path& path, OggOpusHeader header,
                                    const SilencePackets& silence, StemSong song, Clock begin,
                                    PacketSpans packets) {
  // Packets before the song are not part of it, but up to a second of them stays in, under the
  // pre-skip, so that the decoder has converged at the song's first sample (its energy
  // prediction takes a few packets). The first packet kept fixes the pre-skip.
  std::size_t first = 0;
  for (; first < packets.size(); ++first) {
    const int samples = opus_packet_samples(packets[first]);
    if (samples <= 0) return Error{"bad Opus packet"};
    if (begin + samples > song.start - kPreRollSamples) break;
    begin += samples;
  }
  if (first == packets.size()) return Error{"the upload ends before the song starts"};
  // The stream starts `pre_skip` before the song, so that whole 60 ms silence packets reach
  // `begin` exactly; players (and opusinfo) expect at least an encoder's delay of pre-skip.
  constexpr Clock kLongest = SilencePackets::kSilkDurations[0];
  const Clock late = begin - song.start;  // > -1.12 s: the packet at `begin` reaches the pre-roll
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
    if (at <= song_.start - kPreRollSamples || at > cap) {
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
  // CELT pieces first for the part below 10 ms, SILK last, so that the singer's packet follows
  // SILK (see SilencePackets).
  constexpr Clock kShortestSilk = SilencePackets::kSilkDurations.back();
  Clock celt = gap % kShortestSilk;
  Clock silk = gap - celt;
  for (std::size_t i = 0; i < SilencePackets::kCeltDurations.size(); ++i) {
    const int samples = SilencePackets::kCeltDurations[i];
    for (; celt >= samples; celt -= samples) {
      if (auto r = put_silence(silence_->celt(i), samples); !r) return r;
    }
  }
  for (std::size_t i = 0; i < SilencePackets::kSilkDurations.size(); ++i) {
    const int samples = SilencePackets::kSilkDurations[i];
    for (; silk >= samples; silk -= samples) {
      if (auto r = put_silence(silence_->silk(i), samples); !r) return r;
    }
  }
  return {};
}

Result<void> StemTrack::put_silence(std::span<const std::uint8_t> packet, int samples) {
  if (auto r = writer_.append(packet, samples); !r) return r;
  next_ += samples;
  ++counts_.silence_packets;
  return {};
}

}  // namespace brigade
