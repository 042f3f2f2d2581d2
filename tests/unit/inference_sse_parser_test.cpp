#include "ipw/inference/sse_parser.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ipw::inference {
namespace {

// Everything the parser must cope with in one stream: a BOM, comments/keep-alives,
// CRLF, bare CR and LF line ends, multi-line data, an empty data line, `data` without
// a colon, no space after the colon, event and id fields, an ignored retry field,
// unknown fields, and [DONE].
const std::string kStream =
    "\xEF\xBB\xBF: hello from the server\n"
    "\n"
    "data: {\"a\":1}\n\n"
    ":keep-alive\r\n\r\n"
    "data: first line\r\n"
    "data: second line\r\n"
    "\r\n"
    "event: error\rdata:no space\r\rretry: 1000\n"
    "id: 42\n"
    "data\n"
    "\n"
    "unknown: field\n"
    "data: \n"
    "data: after empty\n\n"
    "data: [DONE]\n\n";

const std::vector<SseEvent> kExpected = {
    {"", "{\"a\":1}", ""},
    {"", "first line\nsecond line", ""},
    {"error", "no space", ""},
    {"", "", "42"},
    {"", "\nafter empty", "42"},
    {"", "[DONE]", "42"},
};

std::vector<SseEvent> feed_all(SseParser& p, const std::vector<std::string_view>& chunks) {
  std::vector<SseEvent> out;
  for (std::string_view c : chunks) {
    for (SseEvent& e : p.feed(c)) out.push_back(std::move(e));
  }
  if (auto last = p.finish()) out.push_back(std::move(*last));
  return out;
}

TEST(InferenceSse, ParsesWholeStream) {
  SseParser p;
  EXPECT_EQ(feed_all(p, {kStream}), kExpected);
  EXPECT_EQ(p.comments(), 2u);
  EXPECT_TRUE(is_done(kExpected.back()));
  EXPECT_FALSE(is_done(kExpected.front()));
}

TEST(InferenceSse, SplitAtEveryByteBoundaryGivesIdenticalEvents) {
  const std::string_view s = kStream;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    SseParser p;
    EXPECT_EQ(feed_all(p, {s.substr(0, i), s.substr(i)}), kExpected) << "split at byte " << i;
    EXPECT_EQ(p.comments(), 2u) << "split at byte " << i;
  }
}

TEST(InferenceSse, ThreeWaySplitsGiveIdenticalEvents) {
  const std::string_view s = kStream;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); j += 7) {
      SseParser p;
      ASSERT_EQ(feed_all(p, {s.substr(0, i), s.substr(i, j - i), s.substr(j)}), kExpected)
          << "splits at " << i << " and " << j;
    }
  }
}

TEST(InferenceSse, OneByteAtATimeGivesIdenticalEvents) {
  SseParser p;
  std::vector<std::string_view> bytes;
  const std::string_view s = kStream;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  bytes.emplace_back();  // an empty chunk is harmless
  EXPECT_EQ(feed_all(p, bytes), kExpected);
}

TEST(InferenceSse, EventIsEmittedOnlyWhenItsBlankLineArrives) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: x\n").empty());
  const auto events = p.feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(InferenceSse, CrAtChunkEndThenLfIsOneLineBreak) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: x\r").empty());
  EXPECT_TRUE(p.feed("\n").empty());  // the LF of the CRLF, not a blank line
  const auto events = p.feed("\r\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(InferenceSse, CommentsAloneProduceNoEvents) {
  SseParser p;
  EXPECT_TRUE(p.feed(": ping\n\n: ping\n\n:\n\n").empty());
  EXPECT_EQ(p.comments(), 3u);
  EXPECT_FALSE(p.finish().has_value());
}

TEST(InferenceSse, FinishReturnsAnEventWithoutItsBlankLine) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: {\"usage\":1}").empty());
  auto last = p.finish();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->data, "{\"usage\":1}");
  EXPECT_FALSE(p.finish().has_value());
}

TEST(InferenceSse, BomOnlyStrippedAtStreamStart) {
  SseParser p;
  const auto events = p.feed("data: a\n\n\xEF\xBB\xBF" "data: b\n\n");
  // A BOM later in the stream is part of a (then unknown) field name.
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a");
}

}  // namespace
}  // namespace ipw::inference
