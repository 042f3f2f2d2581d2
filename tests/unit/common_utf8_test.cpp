// Text from servers made valid UTF-8 at ingestion (docs/reliability.md).
#include <gtest/gtest.h>

#include "ipw/common/utf8.h"

namespace ipw {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, WellFormedTextIsKept) {
  for (const std::string s : {"", "plain ascii", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80 emoji",
                              "\xF4\x8F\xBF\xBF max"}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_EQ(valid_utf8(s), s);
  }
}

TEST(Utf8, EachMaximalInvalidSubpartBecomesOneReplacement) {
  // The case the reliability issue met: Latin-1 "é" and two bytes that never occur in UTF-8.
  EXPECT_EQ(valid_utf8("caf\xE9 \xFF\xFE"), "caf" + kFffd + " " + kFffd + kFffd);
  EXPECT_EQ(valid_utf8("\x80"), kFffd);                       // a lone continuation byte
  EXPECT_EQ(valid_utf8("\xC0\xAF"), kFffd + kFffd);           // overlong: C0 is never valid
  EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), kFffd + kFffd + kFffd);  // overlong 3-byte form
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(valid_utf8("\xE2\x82"), kFffd);                   // truncated: one subpart
  EXPECT_EQ(valid_utf8("\xE2\x82x"), kFffd + "x");            // the byte after it is kept
  EXPECT_EQ(valid_utf8("\xF0\x9F\x98"), kFffd);
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
  std::string s = "ok \xFF";
  EXPECT_TRUE(make_valid_utf8(s));
  EXPECT_EQ(s, "ok " + kFffd);
  EXPECT_FALSE(make_valid_utf8(s));
}

TEST(Utf8, ExcerptNeverCutsACharacterAndIsAlwaysValid) {
  EXPECT_EQ(excerpt("short", 10), "short");
  EXPECT_EQ(excerpt("abcdef", 3), "abc...");
  // "é" is two bytes at 2..3: a cut at 3 backs up before it.
  EXPECT_EQ(excerpt("ab\xC3\xA9xyz", 3), "ab...");
  EXPECT_EQ(excerpt("a\xFF" "bcdef", 3), "a" + kFffd + "b...");
  EXPECT_TRUE(is_valid_utf8(excerpt(std::string(50, '\xE9'), 7)));
}

}  // namespace
}  // namespace ipw
