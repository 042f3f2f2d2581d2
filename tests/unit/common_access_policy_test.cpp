#include "ipw/common/access_policy.h"

#include <gtest/gtest.h>

namespace ipw {
namespace {

TEST(AccessPolicy, LoopbackAddresses) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.1.2.3"));  // all of 127/8
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("[::1]"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("localhost"));
  EXPECT_TRUE(is_loopback_address("LocalHost"));
}

TEST(AccessPolicy, NonLoopbackAddresses) {
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));  // every interface
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("10.0.0.5"));
  EXPECT_FALSE(is_loopback_address("128.0.0.1"));
  EXPECT_FALSE(is_loopback_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("gpu-box"));  // a name may resolve anywhere
  EXPECT_FALSE(is_loopback_address(""));
}

TEST(AccessPolicy, NonLoopbackBindNeedsTokenOrInsecure) {
  EXPECT_EQ(check_bind_policy("127.0.0.1", "", false, "read this host's sensors"), "");
  EXPECT_EQ(check_bind_policy("0.0.0.0", "t0k", false, "read this host's sensors"), "");
  EXPECT_EQ(check_bind_policy("0.0.0.0", "", true, "read this host's sensors"), "");
  const std::string why = check_bind_policy("0.0.0.0", "", false, "read this host's sensors");
  EXPECT_NE(why.find("0.0.0.0"), std::string::npos) << why;
  EXPECT_NE(why.find("--token"), std::string::npos) << why;
  EXPECT_NE(why.find("--insecure"), std::string::npos) << why;
  EXPECT_NE(why.find("read this host's sensors"), std::string::npos) << why;
}

TEST(AccessPolicy, BearerMatchesOnlyTheExactToken) {
  EXPECT_TRUE(bearer_matches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_matches("bearer s3cret", "s3cret"));  // scheme is case-insensitive
  EXPECT_FALSE(bearer_matches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer s3cretX", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer S3CRET", "s3cret"));  // the token is not
  EXPECT_FALSE(bearer_matches("s3cret", "s3cret"));
  EXPECT_FALSE(bearer_matches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearer_matches("", "s3cret"));
  EXPECT_FALSE(bearer_matches("Bearer ", ""));  // no token configured matches nothing
}

}  // namespace
}  // namespace ipw
