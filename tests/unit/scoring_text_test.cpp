#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/scoring/answer_cues.h"
#include "ipw/scoring/text_cleanup.h"

namespace ipw::scoring {
namespace {

TEST(ScoringText, StripReasoningRemovesCompleteBlocks) {
  EXPECT_EQ(strip_reasoning("<think>a</think>B<think>c</think>D"), "BD");
  EXPECT_EQ(strip_reasoning("<THINKING>x</Thinking>Answer"), "Answer");
  EXPECT_EQ(strip_reasoning("[THINK]x[/THINK]y"), "y");
  EXPECT_EQ(strip_reasoning("<|begin_of_thought|>x<|end_of_thought|>y"), "y");
}

TEST(ScoringText, StripReasoningHandlesHalfBlocks) {
  // The chat template opened the block: everything before the closing tag is thinking.
  EXPECT_EQ(strip_reasoning("thinking here</think>answer"), "answer");
  EXPECT_EQ(strip_reasoning("x</think> y <think>z</think> w"), " y  w");
  // Cut off while thinking: nothing after the opening tag is an answer.
  EXPECT_EQ(strip_reasoning("pre <think>unfinished"), "pre ");
  EXPECT_EQ(strip_reasoning("no tags at all"), "no tags at all");
}

TEST(ScoringText, StripReasoningKeepsGptOssFinalChannel) {
  EXPECT_EQ(
      strip_reasoning("<|channel|>analysis<|message|>A<|end|><|start|>assistant<|channel|>final<|message|>B<|return|>"),
      "B");
}

TEST(ScoringText, NormaliseAnswer) {
  EXPECT_EQ(normalise_answer("  The  Beatles! "), "beatles");
  EXPECT_EQ(normalise_answer("New-York/City"), "new york city");
  EXPECT_EQ(normalise_answer("U.S.A."), "usa");
  EXPECT_EQ(normalise_answer("3.5, or 1,000"), "3.5 or 1,000");
  EXPECT_EQ(normalise_answer("\\boxed{\\text{Paris}}"), "paris");
  EXPECT_EQ(normalise_answer("**An apple**"), "apple");
  EXPECT_EQ(normalise_answer("\xE2\x80\x9CParis\xE2\x80\x9D"), "paris");
  EXPECT_EQ(normalise_answer("a"), "");
}

TEST(ScoringText, BoxedContentsMatchBraces) {
  auto boxes = boxed_contents("x \\boxed{\\frac{1}{2}} y \\fbox{C} z \\boxed{unclosed");
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].content, "\\frac{1}{2}");
  EXPECT_EQ(boxes[0].pos, 2u);
  EXPECT_EQ(boxes[1].content, "C");
}

TEST(ScoringText, BlankLatexWrappersKeepsPositions) {
  const std::string in = "is \\boxed{C} and \\text{D}";
  const std::string out = blank_latex_wrappers(in);
  EXPECT_EQ(out.size(), in.size());
  EXPECT_EQ(out, "is       {C} and      {D}");
}

TEST(ScoringText, AnswerCuesNeedASeparatorAndNoNegation) {
  auto ends = [](std::string_view t) {
    std::vector<std::size_t> e;
    for (const Cue& c : find_answer_cues(t, {"answer"})) e.push_back(c.end);
    return e;
  };
  EXPECT_THAT(ends("the answer is c"), ::testing::ElementsAre(13u));
  EXPECT_THAT(ends("answer: c"), ::testing::ElementsAre(7u));
  EXPECT_THAT(ends("the answer would therefore be c"), ::testing::ElementsAre(29u));
  EXPECT_TRUE(ends("answer a is wrong").empty());
  EXPECT_TRUE(ends("the answer is not c").empty());
  EXPECT_TRUE(ends("answered: c").empty());  // a different word
  EXPECT_TRUE(ends("answers: c").empty());
}

}  // namespace
}  // namespace ipw::scoring
