// Verdict parsing: the spellings judges really produce, and replies that must not be read.
#include "ipw/judge/verdict.h"

#include <gtest/gtest.h>

namespace ipw::judge {
namespace {

struct RefCase {
  const char* reply;
  std::optional<bool> want;  // nullopt: unparseable
};

TEST(JudgeVerdict, ReferenceSpellings) {
  const RefCase cases[] = {
      {"True", true},
      {"False", false},
      {"**true**", true},
      {"**FALSE**.", false},
      {"Verdict: True", true},
      {"The final result matches the reference.\nVerdict: True", true},
      {"It gives 12, the reference says 14.\nVerdict: False", false},
      {"Verdict: [[False]]", false},
      {"**Verdict:** **True**", true},
      {"verdict - correct", true},
      {"Verdict: incorrect", false},
      {"Verdict: not true", false},
      {"The verdict is false.", false},
      {"The answer is right, it would be false only if the units differed.\nVerdict: True", true},
      {"<think>Maybe False? No, it matches.</think>\nTrue", true},
      {"It matches the reference, so this is true.", true},
      {"This is not true.", std::nullopt},
      {"The claim isn't true.", std::nullopt},
      {"That is never false, so the answer holds.", std::nullopt},
      {"Both 'true' and 'false' could apply here.", std::nullopt},
      {"I am not sure.", std::nullopt},
      {"", std::nullopt},
      {"Verdict: maybe", std::nullopt},
      {"<think>The answer is True", std::nullopt},  // cut off while thinking
  };
  for (const auto& c : cases) {
    const auto v = parse_reference_verdict(c.reply);
    ASSERT_EQ(v.has_value(), c.want.has_value()) << c.reply;
    if (v) {
      EXPECT_EQ(v->correct, *c.want) << c.reply;
      EXPECT_EQ(v->label, *c.want ? "true" : "false") << c.reply;
    }
  }
}

struct PairCase {
  const char* reply;
  const char* want;  // nullptr: unparseable
};

TEST(JudgeVerdict, PairwiseSpellings) {
  const PairCase cases[] = {
      {"[[A>>B]]", "A>>B"},
      {"A is clearer.\n[[A>B]]", "A>B"},
      {"Equally good.\n[[A=B]]", "A=B"},
      {"[[B>A]]", "B>A"},
      {"B is far more complete. [[B>>A]]", "B>>A"},
      {"Verdict: [[A>>B]]", "A>>B"},
      {"**Verdict: [[B>A]]**", "B>A"},
      {"My final verdict is tie: [[A=B]]", "A=B"},
      {"[A > B]", "A>B"},
      {"[[ a = b ]]", "A=B"},
      {"Verdict: A<B", "B>A"},
      {"Verdict: A << B", "B>>A"},
      {"[[B<A]]", "A>B"},
      {"Verdict: tie", "A=B"},
      {"Verdict: A==B", "A=B"},
      {"At first A>B seemed right, but on reflection [[B>A]]", "B>A"},
      {"<think>[[A>>B]]?</think>The reference is better. [[B>>A]]", "B>>A"},
      // The instructions echoed back: unreadable without a verdict label...
      {"[[A>>B]] [[A>B]] [[A=B]] [[B>A]] [[B>>A]]", nullptr},
      // ...and readable with one.
      {"Options: [[A>>B]] [[A>B]] [[A=B]] [[B>A]] [[B>>A]]\nVerdict: [[A>B]]", "A>B"},
      {"Reply A is better.", nullptr},
      {"", nullptr},
      {"[[C>A]]", nullptr},
      {"AB>BA", nullptr},
  };
  for (const auto& c : cases) {
    const auto v = parse_pairwise_verdict(c.reply);
    ASSERT_EQ(v.has_value(), c.want != nullptr) << c.reply;
    if (v) {
      EXPECT_EQ(v->label, c.want) << c.reply;
    }
  }
}

TEST(JudgeVerdict, ModelIsReplyAAndATieCountsAsCorrect) {
  EXPECT_TRUE(parse_pairwise_verdict("[[A>>B]]")->correct);
  EXPECT_TRUE(parse_pairwise_verdict("[[A>B]]")->correct);
  EXPECT_TRUE(parse_pairwise_verdict("[[A=B]]")->correct);
  EXPECT_FALSE(parse_pairwise_verdict("[[B>A]]")->correct);
  EXPECT_FALSE(parse_pairwise_verdict("[[B>>A]]")->correct);
}

}  // namespace
}  // namespace ipw::judge
