// The built-in workload and the scorers agree: a model that answers every item
// with its reference (as the render_prompt instruction asks) scores 100%, and one
// that picks another option or number scores 0%.
#include <gtest/gtest.h>

#include "ipw/scoring/scorer.h"
#include "ipw/workload/dataset.h"
#include "workload_fake_reader.h"

namespace ipw::scoring {
namespace {

std::string first_alternative(const std::string& answer) { return answer.substr(0, answer.find('|')); }

TEST(ScoringBuiltin, ReferenceAnswersScoreCorrect) {
  workload::testing::FakeReader none;
  const workload::Dataset ds = workload::load_dataset("builtin", {}, none);
  int scored = 0;
  for (const workload::Item& item : ds.items) {
    const Scorer* scorer = scorer_for_kind(item.kind);
    if (!scorer) continue;  // chat: judged
    const std::string reference = item.kind == "exact" ? first_alternative(item.answer) : item.answer;
    for (const std::string& response :
         {reference, "Answer: " + reference, "<think>hmm</think>The answer is " + reference + "."}) {
      const Score s = scorer->score(item, response);
      ASSERT_TRUE(s.correct.has_value()) << item.id << " cannot be scored: answer '" << item.answer << "'";
      EXPECT_TRUE(*s.correct) << item.id << " response '" << response << "' extracted '" << s.extracted << "'";
    }
    ++scored;
  }
  EXPECT_GT(scored, 100);
}

TEST(ScoringBuiltin, WrongAnswersScoreWrong) {
  workload::testing::FakeReader none;
  const workload::Dataset ds = workload::load_dataset("builtin", {}, none);
  for (const workload::Item& item : ds.items) {
    std::string wrong;
    if (item.kind == "mc") {
      const char letter = item.answer[0] == 'A' ? 'B' : 'A';
      wrong = std::string("The answer is ") + letter + ".";
    } else if (item.kind == "numeric") {
      wrong = "The answer is " + item.answer + "1.";  // 12 -> 121, 0.5 -> 0.51
    } else {
      continue;
    }
    const Score s = scorer_for_kind(item.kind)->score(item, wrong);
    ASSERT_TRUE(s.correct.has_value()) << item.id;
    EXPECT_FALSE(*s.correct) << item.id << " response '" << wrong << "'";
  }
}

}  // namespace
}  // namespace ipw::scoring
