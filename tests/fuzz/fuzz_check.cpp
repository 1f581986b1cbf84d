// brigade fuzzing: the invariant failure report.
#include <cstdio>
#include <cstdlib>

#include "fuzz_target.hpp"

namespace brigade::fuzz {

void violated(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

}  // namespace brigade::fuzz
