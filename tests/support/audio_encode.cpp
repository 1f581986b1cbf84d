// brigade tests: encoding audio files with libsndfile (through a temporary file).
#include "support/audio_encode.hpp"

#include <sndfile.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "support/temp_dir.hpp"

namespace brigade::client {
namespace {

int sf_format(EncodedFormat f) {
  switch (f) {
    case EncodedFormat::kMp3:
      return SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
    case EncodedFormat::kFlac:
      return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    case EncodedFormat::kOggVorbis:
      return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    case EncodedFormat::kWav16:
      return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    case EncodedFormat::kWavFloat:
      return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    case EncodedFormat::kAiff16:
      return SF_FORMAT_AIFF | SF_FORMAT_PCM_16;
  }
  return 0;
}

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

}  // namespace

std::string encode_audio(std::span<const float> samples, int rate, int channels,
                         EncodedFormat format) {
  testing::TempDir dir("brigade-encode");
  const auto path = dir.path() / "file";
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = sf_format(format);
  {
    std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open(path.c_str(), SFM_WRITE, &info));
    if (!file) throw std::runtime_error(std::string("sf_open: ") + sf_strerror(nullptr));
    const auto frames =
        static_cast<sf_count_t>(samples.size() / static_cast<std::size_t>(channels));
    if (sf_writef_float(file.get(), samples.data(), frames) != frames) {
      throw std::runtime_error(std::string("sf_writef_float: ") + sf_strerror(file.get()));
    }
  }
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace brigade::client
