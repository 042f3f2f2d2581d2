// Secrets in URLs are masked before anything is printed or stored.
#include "ipw/common/redact.h"

#include <gtest/gtest.h>

namespace ipw {
namespace {

TEST(CommonRedact, UserInfoBecomesStars) {
  EXPECT_EQ(redact_url("http://u:p@host:1/v1"), "http://***@host:1/v1");
  EXPECT_EQ(redact_url("http://user@host"), "http://***@host");
  EXPECT_EQ(redact_url("https://host/a@b"), "https://host/a@b");  // an @ in the path is no userinfo
  EXPECT_EQ(redact_url("http://host:8080"), "http://host:8080");
  EXPECT_EQ(redact_url("not a url"), "not a url");
}

TEST(CommonRedact, SecretQueryValuesBecomeStars) {
  EXPECT_EQ(redact_url("http://h/v1?api_key=abc&model=x"), "http://h/v1?api_key=***&model=x");
  EXPECT_EQ(redact_url("http://h/?x-api-key=abc#frag"), "http://h/?x-api-key=***#frag");
  EXPECT_EQ(redact_url("http://h?access_token=t&Signature=s&sig=q"), "http://h?access_token=***&Signature=***&sig=***");
  EXPECT_EQ(redact_url("http://a:b@h:1/p?key=k"), "http://***@h:1/p?key=***");
  // Names that only contain a secret word are not secrets; empty values stay empty.
  EXPECT_EQ(redact_url("http://h/?monkey=1&keyboard=2&api_key="), "http://h/?monkey=1&keyboard=2&api_key=");
}

TEST(CommonRedact, EveryUrlInTextIsRedacted) {
  EXPECT_EQ(redact_urls("ipw profile --server http://u:p@127.0.0.1:1 --judge=https://j/?token=t --model m"),
            "ipw profile --server http://***@127.0.0.1:1 --judge=https://j/?token=*** --model m");
  EXPECT_EQ(redact_urls("cannot reach 'http://u:p@h/' (refused)"), "cannot reach 'http://***@h/' (refused)");
  EXPECT_EQ(redact_urls("no url here"), "no url here");
}

TEST(CommonRedact, SaysWhetherAUrlHeldASecret) {
  EXPECT_TRUE(url_has_secret("http://u:p@h"));
  EXPECT_TRUE(url_has_secret("http://h/?api_key=1"));
  EXPECT_FALSE(url_has_secret("http://h:8080/v1"));
}

}  // namespace
}  // namespace ipw
