// TokenRecorder: what of a stream is thinking and what is the answer, whichever way
// the server streams the thinking (a field of its own, <think> tags in the content, or
// only a closing tag), and with tags split across deltas.
#include "ipw/inference/token_recorder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ipw::inference {
namespace {

struct Delta {
  std::string text;
  bool reasoning_field = false;  // sent as reasoning_content rather than content
};

Response record(const std::vector<Delta>& deltas) {
  TokenRecorder rec({});
  std::int64_t t = 100;
  for (const auto& d : deltas) {
    if (d.reasoning_field) {
      rec.reasoning(d.text, t);
    } else {
      rec.content(d.text, t);
    }
    t += 100;
  }
  rec.finish();
  return rec.response();
}

TEST(TokenRecorder, AReplyWithoutThinkingIsAllAnswer) {
  const Response r = record({{"The"}, {" answer"}, {" is 4."}});
  EXPECT_EQ(r.text, "The answer is 4.");
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.answer_pieces, 3);
  EXPECT_EQ(r.reasoning_pieces, 0);
  EXPECT_EQ(r.t_first_answer_ns, r.t_first_token_ns);
}

TEST(TokenRecorder, ReasoningDeltasComeBeforeTheAnswer) {
  const Response r = record({{"Let me", true}, {" add.", true}, {"4"}});
  EXPECT_EQ(r.reasoning, "Let me add.");
  EXPECT_EQ(r.text, "4");
  EXPECT_EQ(r.reasoning_pieces, 2);
  EXPECT_EQ(r.answer_pieces, 1);
  EXPECT_EQ(r.t_first_token_ns, 100);
  EXPECT_EQ(r.t_first_answer_ns, 300);
}

TEST(TokenRecorder, ThinkTagsInTheContentAreReasoning) {
  const Response r = record({{"<think>"}, {"2+2"}, {" is 4"}, {"</think>"}, {"\n\n"}, {"4"}});
  EXPECT_EQ(r.reasoning, "2+2 is 4");
  EXPECT_EQ(r.text, "\n\n4");
  EXPECT_EQ(r.reasoning_pieces, 5);  // the tags and the whitespace after the closing one end the thinking
  EXPECT_EQ(r.answer_pieces, 1);
  EXPECT_EQ(r.t_first_answer_ns, 600);
}

TEST(TokenRecorder, TagsSplitAcrossDeltasAreStillTags) {
  const Response r = record({{"<th"}, {"ink>hm"}, {"m</thi"}, {"nk>ok"}});
  EXPECT_EQ(r.reasoning, "hmm");
  EXPECT_EQ(r.text, "ok");
  EXPECT_EQ(r.answer_pieces, 1);
  EXPECT_EQ(r.t_first_answer_ns, 400);
}

TEST(TokenRecorder, AClosingTagWithoutAnOpeningOneEndsThinkingTheTemplateOpened) {
  // DeepSeek-R1 distills: the chat template puts <think> in the prompt.
  const Response r = record({{"First,"}, {" add."}, {"</think>"}, {"4"}});
  EXPECT_EQ(r.reasoning, "First, add.");
  EXPECT_EQ(r.text, "4");
  EXPECT_EQ(r.reasoning_pieces, 3);
  EXPECT_EQ(r.answer_pieces, 1);
  EXPECT_EQ(r.t_first_answer_ns, 400);
}

TEST(TokenRecorder, CutOffWhileThinkingHasNoAnswer) {
  const Response r = record({{"<think>"}, {"still"}, {" going"}});
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(r.reasoning, "still going");
  EXPECT_EQ(r.answer_pieces, 0);
  EXPECT_EQ(r.t_first_answer_ns, 0);
}

TEST(TokenRecorder, ALessThanSignThatIsNoTagIsAnswerText) {
  const Response r = record({{"x <"}, {" y"}, {" <b"}});
  EXPECT_EQ(r.text, "x < y <b");  // the held-back "<b" is flushed at the end
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.answer_pieces, 3);
}

}  // namespace
}  // namespace ipw::inference
