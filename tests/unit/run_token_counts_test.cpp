// count_output_tokens: the server's usage first, the streamed pieces otherwise, and a
// label saying which.
#include "ipw/run/token_counts.h"

#include <gtest/gtest.h>

namespace ipw::run {
namespace {

inference::Response reply(std::optional<int> output, std::optional<int> reasoning, int reasoning_pieces,
                          int answer_pieces) {
  inference::Response r;
  r.output_tokens = output;
  r.reasoning_tokens = reasoning;
  r.reasoning_pieces = reasoning_pieces;
  r.answer_pieces = answer_pieces;
  r.finish_reason = "length";
  r.reasoning = "hmm";
  return r;
}

TEST(TokenCounts, UsageWithItsReasoningCountIsTakenAsIs) {
  QueryRecord q;
  count_output_tokens(reply(100, 70, 60, 20), q);
  EXPECT_EQ(q.output_tokens, 100);
  EXPECT_EQ(q.reasoning_tokens, 70);
  EXPECT_EQ(q.answer_tokens, 30);
  EXPECT_EQ(q.token_source, "usage");
  EXPECT_EQ(q.finish_reason, "length");
  EXPECT_TRUE(q.truncated());
  EXPECT_EQ(q.reasoning, "hmm");
}

TEST(TokenCounts, UsageWithoutAReasoningCountIsSplitAsThePiecesSplit) {
  QueryRecord q;
  count_output_tokens(reply(100, std::nullopt, 30, 10), q);
  EXPECT_EQ(q.reasoning_tokens, 75);
  EXPECT_EQ(q.answer_tokens, 25);
  EXPECT_EQ(q.token_source, "usage+stream");
}

TEST(TokenCounts, NoThinkingIsZeroReasoningFromUsage) {
  QueryRecord q;
  count_output_tokens(reply(12, std::nullopt, 0, 9), q);
  EXPECT_EQ(q.reasoning_tokens, 0);
  EXPECT_EQ(q.answer_tokens, 12);
  EXPECT_EQ(q.token_source, "usage");
}

TEST(TokenCounts, NoUsageCountsTheStreamedPiecesAndSaysSo) {
  QueryRecord q;
  count_output_tokens(reply(std::nullopt, std::nullopt, 4, 6), q);
  EXPECT_EQ(q.output_tokens, 10);
  EXPECT_EQ(q.reasoning_tokens, 4);
  EXPECT_EQ(q.answer_tokens, 6);
  EXPECT_EQ(q.token_source, "stream");
}

TEST(TokenCounts, NothingStreamedAndNoUsageLeavesTheCountsUnknown) {
  QueryRecord q;
  count_output_tokens(reply(std::nullopt, std::nullopt, 0, 0), q);
  EXPECT_FALSE(q.output_tokens);
  EXPECT_FALSE(q.answer_tokens);
  EXPECT_EQ(q.token_source, "");
}

}  // namespace
}  // namespace ipw::run
