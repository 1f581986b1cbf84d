// brigade: admission of track uploads: how many may be in flight and how many bytes they hold.
//
// An upload's body is held in memory until it is converted, so uploads are admitted on their
// header (before the body is read) against a count and a byte budget; a refused one gets 503
// and its body is never read. The reservation lasts until the response is sent.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>

namespace brigade::server {

struct UploadLimits {
  /// Uploads being received or converted at once.
  std::size_t max_concurrent = 4;
  /// Body bytes those uploads may hold in all (a chunked body counts as the largest upload).
  std::size_t max_bytes_in_flight = std::size_t{64} << 20;
};

class UploadGate {
 public:
  explicit UploadGate(UploadLimits limits) : limits_(limits) {}

  /// Held while an upload is in flight; releases its share on destruction.
  class Ticket {
   public:
    Ticket(UploadGate& gate, std::size_t bytes) : gate_(gate), bytes_(bytes) {}
    ~Ticket() { gate_.release(bytes_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    UploadGate& gate_;
    std::size_t bytes_;
  };

  /// A ticket for an upload of `bytes`, or null when a limit would be passed.
  std::unique_ptr<Ticket> admit(std::size_t bytes);

  std::size_t in_flight();
  std::size_t bytes_in_flight();

 private:
  void release(std::size_t bytes);

  const UploadLimits limits_;
  std::mutex mutex_;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace brigade::server
