#include "ipw/inference/ndjson_parser.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ipw::inference {
namespace {

using nlohmann::json;

// Records, a blank keep-alive line, CRLF, a malformed line, unicode, and a last
// record without a trailing newline.
const std::string kStream =
    "{\"message\":{\"content\":\"Hel\"},\"done\":false}\n"
    "\n"
    "{\"message\":{\"content\":\"lo \\u00e9t\xC3\xA9\"},\"done\":false}\r\n"
    "{not json}\n"
    "   \n"
    "[1,2,3]\n"
    "{\"done\":true,\"eval_count\":2}";

std::vector<NdjsonRecord> feed_all(NdjsonParser& p, const std::vector<std::string_view>& chunks) {
  std::vector<NdjsonRecord> out;
  for (std::string_view c : chunks) {
    for (NdjsonRecord& r : p.feed(c)) out.push_back(std::move(r));
  }
  if (auto last = p.finish()) out.push_back(std::move(*last));
  return out;
}

TEST(InferenceNdjson, ParsesWholeStream) {
  NdjsonParser p;
  const auto recs = feed_all(p, {kStream});
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].line_no, 1u);
  EXPECT_EQ(recs[0].value["message"]["content"], "Hel");
  EXPECT_EQ(recs[1].line_no, 3u);
  EXPECT_EQ(recs[1].value["message"]["content"], "lo \xC3\xA9t\xC3\xA9");
  EXPECT_FALSE(recs[2].ok());
  EXPECT_EQ(recs[2].line_no, 4u);
  EXPECT_NE(recs[2].error.find("line 4"), std::string::npos) << recs[2].error;
  EXPECT_NE(recs[2].error.find("{not json}"), std::string::npos) << recs[2].error;
  EXPECT_TRUE(recs[2].value.is_null());
  EXPECT_EQ(recs[3].value, json::parse("[1,2,3]"));
  EXPECT_EQ(recs[3].line_no, 6u);
  EXPECT_EQ(recs[4].value["eval_count"], 2);
  EXPECT_EQ(recs[4].line_no, 7u);
}

TEST(InferenceNdjson, SplitAtEveryByteBoundaryGivesIdenticalRecords) {
  NdjsonParser whole;
  const auto expected = feed_all(whole, {kStream});
  const std::string_view s = kStream;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    NdjsonParser p;
    EXPECT_EQ(feed_all(p, {s.substr(0, i), s.substr(i)}), expected) << "split at byte " << i;
  }
}

TEST(InferenceNdjson, OneByteAtATimeGivesIdenticalRecords) {
  NdjsonParser whole;
  const auto expected = feed_all(whole, {kStream});
  NdjsonParser p;
  std::vector<std::string_view> bytes;
  const std::string_view s = kStream;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  EXPECT_EQ(feed_all(p, bytes), expected);
}

TEST(InferenceNdjson, RecordIsEmittedOnlyWhenItsNewlineArrives) {
  NdjsonParser p;
  EXPECT_TRUE(p.feed("{\"a\":").empty());
  EXPECT_TRUE(p.feed("1}").empty());
  const auto recs = p.feed("\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].value["a"], 1);
  EXPECT_FALSE(p.finish().has_value());
}

TEST(InferenceNdjson, BlankLinesOnlyProduceNothing) {
  NdjsonParser p;
  EXPECT_TRUE(p.feed("\n\r\n  \n").empty());
  EXPECT_FALSE(p.finish().has_value());
}

// nlohmann throws out_of_range, not parse_error, for a number past a double's range:
// it must be the line's error like any malformed line, not escape the parser.
TEST(InferenceNdjson, NumberOutOfRangeIsTheLinesError) {
  NdjsonParser p;
  const auto recs = p.feed("{\"eval_count\":1e400}\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_NE(recs[0].error.find("line 1 is not JSON"), std::string::npos) << recs[0].error;
  EXPECT_NE(recs[0].error.find("number overflow"), std::string::npos) << recs[0].error;
}

}  // namespace
}  // namespace ipw::inference
