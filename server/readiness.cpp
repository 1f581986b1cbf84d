// brigade: readiness.
#include "readiness.hpp"

#include <unistd.h>

namespace brigade::server {

std::string_view Readiness::not_ready_reason(bool rings_allocated) const {
  if (draining()) return "draining";
  if (!listening_.load(std::memory_order_acquire)) return "not listening";
  if (!rings_allocated) return "rings not allocated";
  if (!recordings_dir_.empty() && access(recordings_dir_.c_str(), W_OK | X_OK) != 0) {
    return "recordings folder not writable";
  }
  return {};
}

}  // namespace brigade::server
