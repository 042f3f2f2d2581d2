#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/scoring/mc_scorer.h"
#include "ipw/scoring/scorer.h"

namespace ipw::scoring {
namespace {

workload::Item item(std::string kind, std::string answer, std::vector<std::string> options = {}) {
  return workload::Item{"id", "prompt", std::move(answer), std::move(kind), "c", "s", std::move(options), {}};
}

TEST(ScoringRegistry, KindsAndNames) {
  EXPECT_THAT(scorer_names(), ::testing::ElementsAre("mc", "numeric", "exact"));
  for (const std::string& name : scorer_names()) {
    ASSERT_NE(scorer_for_kind(name), nullptr) << name;
    EXPECT_EQ(scorer_for_kind(name)->name(), name);
  }
  EXPECT_EQ(scorer_for_kind("chat"), nullptr);  // judged, not scored locally
  EXPECT_EQ(scorer_for_kind("nope"), nullptr);
}

TEST(ScoringRegistry, UnscorableReferencesAreNotWrong) {
  // A dataset problem must not count against the model.
  EXPECT_FALSE(scorer_for_kind("numeric")->score(item("numeric", "forty-two"), "42").correct.has_value());
  EXPECT_FALSE(scorer_for_kind("mc")->score(item("mc", "Z", {"x", "y"}), "Z").correct.has_value());
  EXPECT_FALSE(scorer_for_kind("exact")->score(item("exact", "re:(unclosed"), "x").correct.has_value());
  EXPECT_FALSE(scorer_for_kind("exact")->score(item("exact", " | "), "x").correct.has_value());
}

// A dataset's pattern and a model's long reply cannot hang or crash the scorer:
// std::regex backtracked exponentially on nested repetition (the fuzzer's find) and
// recursed once per character (a stack overflow on a long reply).
TEST(ScoringRegistry, RegexAnswersRunInLinearTimeOnLongReplies) {
  const auto t0 = std::chrono::steady_clock::now();
  const Score nested = scorer_for_kind("exact")->score(item("exact", "re:(a*)*b"), std::string(40, 'a'));
  ASSERT_TRUE(nested.correct.has_value());
  EXPECT_FALSE(*nested.correct);
  const std::string long_reply = std::string(2'000'000, 'x') + " the answer is 42";
  const Score found = scorer_for_kind("exact")->score(item("exact", "re:x.*answer is 4[0-9]"), long_reply);
  ASSERT_TRUE(found.correct.has_value());
  EXPECT_TRUE(*found.correct);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(ScoringRegistry, NoAnswerIsWrongNotUnscored) {
  const Score s = scorer_for_kind("mc")->score(item("mc", "A", {"x", "y"}), "I have no idea.");
  ASSERT_TRUE(s.correct.has_value());
  EXPECT_FALSE(*s.correct);
  EXPECT_EQ(s.extracted, "");
  EXPECT_EQ(s.method, "mc");
}

TEST(ScoringRegistry, AnswerLetterForms) {
  const std::vector<std::string> opts = {"Paris", "Rome"};
  EXPECT_EQ(answer_letter("b", opts), 'B');
  EXPECT_EQ(answer_letter("(B)", opts), 'B');
  EXPECT_EQ(answer_letter("Rome", opts), 'B');
  EXPECT_EQ(answer_letter("C", opts), std::nullopt);
}

}  // namespace
}  // namespace ipw::scoring
