// brigade: the stem queue.
#include "stem_queue.hpp"

#include <cstring>

namespace brigade::server {
namespace {

/// Fixed part of a queued record; the name, the packet lengths and the packet bytes follow.
struct RecordHeader {
  std::uint64_t song;
  Clock song_start;
  UserId user;
  Clock begin;
  std::uint32_t name_bytes;
  std::uint32_t packet_count;
  std::uint32_t packet_bytes;
  std::uint32_t record_bytes;  ///< the whole record, padded to kRecordAlign
};
/// Records start on 8-byte boundaries, so the header can be read with one memcpy.
constexpr std::size_t kRecordAlign = 8;

}  // namespace

StemQueue::StemQueue(std::size_t capacity_bytes)
    : capacity_(capacity_bytes), front_(capacity_bytes), back_(capacity_bytes) {}

bool StemQueue::push(const StemUpload& upload, PacketSpans packets) {
  std::size_t packet_bytes = 0;
  for (const auto p : packets) packet_bytes += p.size();
  const std::size_t count = std::min(packets.size(), kMaxContainerPackets);
  const std::size_t raw =
      sizeof(RecordHeader) + upload.name.size() + count * sizeof(std::uint32_t) + packet_bytes;
  const std::size_t size = (raw + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
  const RecordHeader header{upload.song,
                            upload.song_start,
                            upload.user,
                            upload.begin,
                            static_cast<std::uint32_t>(upload.name.size()),
                            static_cast<std::uint32_t>(count),
                            static_cast<std::uint32_t>(packet_bytes),
                            static_cast<std::uint32_t>(size)};
  std::lock_guard lock(mutex_);
  if (count != packets.size() || size > capacity_ - front_used_) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::uint8_t* out = front_.data() + front_used_;
  std::memcpy(out, &header, sizeof header);
  out += sizeof header;
  std::memcpy(out, upload.name.data(), upload.name.size());
  out += upload.name.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto len = static_cast<std::uint32_t>(packets[i].size());
    std::memcpy(out, &len, sizeof len);
    out += sizeof len;
  }
  for (const auto p : packets) {
    std::memcpy(out, p.data(), p.size());
    out += p.size();
  }
  front_used_ += size;
  queued_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void StemQueue::drain(const std::function<void(const StemUpload&, PacketSpans)>& f) {
  std::size_t used = 0;
  {
    std::lock_guard lock(mutex_);
    front_.swap(back_);  // no copy, no allocation: both hold capacity_ bytes
    used = front_used_;
    front_used_ = 0;
  }
  for (std::size_t at = 0; at < used;) {
    const std::uint8_t* in = back_.data() + at;
    RecordHeader h{};
    std::memcpy(&h, in, sizeof h);
    in += sizeof h;
    const StemUpload upload{h.song, h.song_start, h.user, h.begin,
                            std::string_view(reinterpret_cast<const char*>(in), h.name_bytes)};
    in += h.name_bytes;
    const std::uint8_t* data = in + std::size_t{h.packet_count} * sizeof(std::uint32_t);
    for (std::size_t i = 0; i < h.packet_count; ++i) {
      std::uint32_t len = 0;
      std::memcpy(&len, in + i * sizeof len, sizeof len);
      packets_.packets[i] = std::span(data, len);
      data += len;
    }
    packets_.count = h.packet_count;
    f(upload, packets_.view());
    at += h.record_bytes;
  }
}

}  // namespace brigade::server
