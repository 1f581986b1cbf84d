// brigade fuzzing: the libFuzzer entry point of one target; BRIGADE_FUZZ_HANDLER names the
// handler (see fuzz_target.hpp). Built only by the clang fuzz tree (scripts/fuzz).
#include <cstddef>
#include <cstdint>

#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)brigade::fuzz::BRIGADE_FUZZ_HANDLER(brigade::fuzz::Input(data, size));
  return 0;
}
