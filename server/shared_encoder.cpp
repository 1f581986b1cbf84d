// brigade: shared encoders.
#include "shared_encoder.hpp"

#include <bit>
#include <functional>

#include "brigade/codec/packet_container.hpp"

namespace brigade::server {
namespace {
/// A group unused this long is dropped (its listeners have moved or left).
constexpr std::int64_t kGroupIdleSeconds = 30;
}  // namespace

std::size_t SharedEncoders::KeyHash::operator()(const ShareKey& k) const noexcept {
  return std::hash<std::int64_t>()(k.delay_seconds * 31 +
                                   std::bit_cast<std::uint32_t>(k.user_backing));
}

std::shared_ptr<SharedEncoders::Group> SharedEncoders::group(const ShareKey& key,
                                                             std::int64_t now_seconds) {
  std::lock_guard lock(mutex_);
  if (now_seconds - last_sweep_ >= kGroupIdleSeconds || groups_.size() >= kMaxGroups) {
    last_sweep_ = now_seconds;
    std::erase_if(groups_, [&](const auto& kv) {
      return now_seconds - kv.second->last_used > kGroupIdleSeconds;
    });
  }
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    if (groups_.size() >= kMaxGroups) return nullptr;
    it = groups_.emplace(key, std::make_shared<Group>()).first;
  }
  it->second->last_used = now_seconds;
  return it->second;
}

std::shared_ptr<SharedEncoders::Group> SharedEncoders::existing_group(const ShareKey& key,
                                                                      std::int64_t now_seconds) {
  std::lock_guard lock(mutex_);
  const auto it = groups_.find(key);
  if (it == groups_.end()) return nullptr;
  it->second->last_used = now_seconds;
  return it->second;
}

bool SharedEncoders::append_cached(const ShareKey& key, std::int64_t first_frame,
                                   std::size_t frames, std::string& out, std::int64_t now_seconds) {
  const std::shared_ptr<Group> shared = existing_group(key, now_seconds);
  if (!shared || frames == 0 || frames > kCachedFrames) return false;
  Group& g = *shared;
  std::lock_guard lock(g.mutex);
  const auto slot = [&](std::size_t i) -> const Slot& {
    const std::int64_t frame = first_frame + static_cast<std::int64_t>(i);
    return g.slots[static_cast<std::size_t>(frame) % kCachedFrames];
  };
  for (std::size_t i = 0; i < frames; ++i) {
    if (slot(i).frame != first_frame + static_cast<std::int64_t>(i)) return false;
  }
  begin_container(out, frames);
  for (std::size_t i = 0; i < frames; ++i) {
    append_packet(out, std::span(slot(i).bytes).first(slot(i).size));
  }
  return true;
}

bool SharedEncoders::append_packets(const ShareKey& key, std::int64_t first_frame,
                                    std::span<const float> pcm, std::optional<codec::Encoder>& own,
                                    std::string& out, std::int64_t now_seconds) {
  const std::shared_ptr<Group> shared = group(key, now_seconds);
  const std::size_t frames = pcm.size() / kOpusFrameSamples;
  begin_container(out, frames);
  if (!shared) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return encode_own(pcm, own, out);
  }
  Group& g = *shared;
  std::lock_guard lock(g.mutex);
  for (std::size_t i = 0; i < frames; ++i) {
    const std::int64_t frame = first_frame + static_cast<std::int64_t>(i);
    const auto frame_pcm = pcm.subspan(i * kOpusFrameSamples, kOpusFrameSamples);
    Slot& slot = g.slots[static_cast<std::size_t>(frame) % kCachedFrames];
    if (slot.frame == frame) {
      append_packet(out, std::span(slot.bytes).first(slot.size));
      reused_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (frame >= g.next_frame) {
      // This frame is new to the group: encode it once for everyone.
      const int n = g.encoder.encode(frame_pcm, slot.bytes);
      if (n < 0) return false;
      slot.frame = frame;
      slot.size = static_cast<std::uint16_t>(n);
      g.next_frame = frame + 1;
      append_packet(out, std::span(slot.bytes).first(slot.size));
      encoded_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!encode_own(frame_pcm, own, out)) return false;
    missed_.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

bool SharedEncoders::encode_own(std::span<const float> pcm, std::optional<codec::Encoder>& own,
                                std::string& out) {
  if (!own) own.emplace();
  std::array<std::uint8_t, codec::kMaxReplyPacketBytes> packet{};
  for (std::size_t i = 0; i < pcm.size() / kOpusFrameSamples; ++i) {
    const int n = own->encode(pcm.subspan(i * kOpusFrameSamples, kOpusFrameSamples), packet);
    if (n < 0) return false;
    append_packet(out, std::span(packet).first(static_cast<std::size_t>(n)));
  }
  return true;
}

SharedEncoderStats SharedEncoders::stats() const {
  return {
      encoded_.load(std::memory_order_relaxed),  reused_.load(std::memory_order_relaxed),
      missed_.load(std::memory_order_relaxed),   refused_.load(std::memory_order_relaxed),
      unshared_.load(std::memory_order_relaxed), whole_replies_.load(std::memory_order_relaxed)};
}

std::size_t SharedEncoders::group_count() {
  std::lock_guard lock(mutex_);
  return groups_.size();
}

}  // namespace brigade::server
