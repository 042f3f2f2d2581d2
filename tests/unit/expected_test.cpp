#include "ipw/common/expected.h"

#include <gtest/gtest.h>

#include <string>

namespace ipw {
namespace {

Expected<int, std::string> parse_positive(int x) {
  if (x <= 0) return unexpected(std::string("not positive"));
  return x;
}

TEST(Expected, HoldsValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "not positive");
  EXPECT_THROW((void)bad.value(), std::logic_error);
}

}  // namespace
}  // namespace ipw
