#include "brigade/ring.hpp"

#include <gtest/gtest.h>

namespace brigade {
namespace {

TEST(Ring, AddWrapsAroundTheEnd) {
  Ring<float> ring;
  const Interval iv = ending_at(kRingSamples + 2, 4);  // [end-2, end+2)
  std::vector<float> block{1, 2, 3, 4};
  ring.add(iv, block);
  std::vector<float> out(4);
  ring.read(iv, out);
  EXPECT_EQ(out, block);
  EXPECT_EQ(ring.data()[kRingSamples - 1], 2.0f);
  EXPECT_EQ(ring.data()[0], 3.0f);
}

}  // namespace
}  // namespace brigade
