#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/scoring/number_parse.h"
#include "ipw/scoring/numeric_scorer.h"

namespace ipw::scoring {
namespace {

std::vector<double> values(std::string_view text) {
  std::vector<double> v;
  for (const NumberMatch& m : find_numbers(text)) v.push_back(m.value);
  return v;
}

TEST(ScoringNumber, PlainForms) {
  EXPECT_THAT(values("12 and -3.5 and .25"), ::testing::ElementsAre(12, -3.5, 0.25));
  EXPECT_THAT(values("1,234,567 and 1,23"), ::testing::ElementsAre(1234567, 1, 23));
  EXPECT_THAT(values("2.5e-3"), ::testing::ElementsAre(::testing::DoubleEq(0.0025)));
  EXPECT_THAT(values("10-7"), ::testing::ElementsAre(10, 7));  // subtraction, not -7
}

TEST(ScoringNumber, FractionsAndLatex) {
  EXPECT_THAT(values("3/4"), ::testing::ElementsAre(0.75));
  EXPECT_THAT(values("\\frac{3}{4} \\dfrac{-1}{2} -\\tfrac12"), ::testing::ElementsAre(0.75, -0.5, -0.5));
  EXPECT_THAT(values("2\\frac{1}{2}"), ::testing::ElementsAre(2.5));
  EXPECT_THAT(values("\\frac{x}{2}"), ::testing::IsEmpty());  // not a number, and its 2 is not one either
  EXPECT_THAT(values("\\sqrt{2} + 3"), ::testing::ElementsAre(3));
}

TEST(ScoringNumber, ScientificPercentAndMultipliers) {
  EXPECT_THAT(values("6.02 \xC3\x97 10^{23}"), ::testing::ElementsAre(::testing::DoubleEq(6.02e23)));
  EXPECT_THAT(values("10^{-3}"), ::testing::ElementsAre(::testing::DoubleEq(1e-3)));
  auto pct = find_numbers("50%");
  ASSERT_EQ(pct.size(), 1u);
  EXPECT_TRUE(pct[0].percent);
  EXPECT_THAT(pct[0].readings(), ::testing::ElementsAre(50, 0.5));
  auto mil = find_numbers("1.5 million");
  ASSERT_EQ(mil.size(), 1u);
  EXPECT_THAT(mil[0].readings(), ::testing::ElementsAre(1.5, 1.5e6));
}

TEST(ScoringNumber, SkipsIdentifiersAndExponents) {
  EXPECT_THAT(values("CO2 x^2 a_1 x^{3}"), ::testing::IsEmpty());
  EXPECT_THAT(values("2\\sqrt{3}"), ::testing::IsEmpty());
  EXPECT_THAT(values("3\\pi"), ::testing::IsEmpty());
}

TEST(ScoringNumber, ReferenceNeedsOneValue) {
  EXPECT_TRUE(parse_reference_number("\\frac{1}{2}"));
  EXPECT_TRUE(parse_reference_number("1/2 (0.5)"));  // several numbers, one value
  EXPECT_FALSE(parse_reference_number("3 or 4"));
  EXPECT_FALSE(parse_reference_number("forty-two"));
}

TEST(ScoringNumber, ExtractFinalNumberPreference) {
  std::string got;
  ASSERT_TRUE(extract_final_number("\\boxed{7}. We used 3 and 4.", &got));
  EXPECT_EQ(got, "7");
  ASSERT_TRUE(extract_final_number("The answer is 12 apples because 3*4 = 12. Also 5.", &got));
  EXPECT_EQ(got, "12");
  ASSERT_TRUE(extract_final_number("First 3, then 4, finally 5.", &got));
  EXPECT_EQ(got, "5");
  EXPECT_FALSE(extract_final_number("<think>42</think>I am not sure."));
}

TEST(ScoringNumber, Tolerance) {
  NumberMatch a{0, 0, 1.0, false, 1, false};
  NumberMatch b{0, 0, 1.0 + 5e-7, false, 1, false};
  NumberMatch c{0, 0, 1.0 + 5e-6, false, 1, false};
  EXPECT_TRUE(numbers_match(b, a));
  EXPECT_FALSE(numbers_match(c, a));
  EXPECT_TRUE(numbers_match(c, a, NumericTolerance{1e-5, 0}));
  NumberMatch zero{0, 0, 0.0, false, 1, false};
  NumberMatch tiny{0, 0, 5e-10, false, 1, false};
  EXPECT_TRUE(numbers_match(tiny, zero));  // the absolute part
  NumberMatch big{0, 0, 1234567, false, 1, true};
  NumberMatch big1{0, 0, 1234568, false, 1, true};
  EXPECT_FALSE(numbers_match(big1, big));  // integers: exact
}

}  // namespace
}  // namespace ipw::scoring
