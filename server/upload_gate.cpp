// brigade: upload admission.
#include "upload_gate.hpp"

namespace brigade::server {

std::unique_ptr<UploadGate::Ticket> UploadGate::admit(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  if (count_ >= limits_.max_concurrent || bytes > limits_.max_bytes_in_flight - bytes_) {
    return nullptr;
  }
  ++count_;
  bytes_ += bytes;
  return std::make_unique<Ticket>(*this, bytes);
}

void UploadGate::release(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  --count_;
  bytes_ -= bytes;
}

std::size_t UploadGate::in_flight() {
  std::lock_guard lock(mutex_);
  return count_;
}

std::size_t UploadGate::bytes_in_flight() {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace brigade::server
