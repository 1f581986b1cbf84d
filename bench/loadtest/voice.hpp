// brigade-loadtest: the audio the simulated singers send. A voice-like synthetic signal
// (harmonics with vibrato, syllable envelope and a little noise) is encoded once into a pool of
// real 60 ms Opus packets; singers cycle through it from random starting points, so the tester
// spends almost no CPU on audio while the server decodes real, non-silent speech-like Opus.
// (libopus is ~3x cheaper on silence, so a silent load would flatter the server.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "client/api_wire.hpp"

namespace brigade::loadtest {

/// `n` samples of a sung vowel line: fundamental gliding between notes, 5.5 Hz vibrato, 24
/// harmonics shaped by two formants, a syllable envelope and noise at about -35 dB. `seed`
/// varies the melody and noise.
std::vector<float> voice_signal(std::size_t n, std::uint32_t seed);

/// A fixed ring of encoded 60 ms packets, built once.
class PacketPool {
 public:
  /// Encodes `seconds` of voice_signal (rounded to whole packets) with one encoder at
  /// `bitrate` bits per second.
  PacketPool(double seconds, std::uint32_t seed, int bitrate);

  std::size_t size() const { return packets_.size(); }
  /// Appends an API container of `count` consecutive packets starting at `first` (mod size).
  void append_container(std::string& out, std::size_t first, std::size_t count) const;
  /// Mean packet size in bytes (for the report).
  double mean_packet_bytes() const;

 private:
  std::vector<client::Packet> packets_;
};

}  // namespace brigade::loadtest
