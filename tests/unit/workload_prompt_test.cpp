#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/workload/prompt.h"

namespace ipw::workload {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(WorkloadPrompt, MultipleChoiceListsLetteredOptions) {
  Item item{"x", "Which is largest?", "C", "mc", "c", "s", {"1", "2", "3"}, {}};
  const std::string text = render_prompt(item);
  EXPECT_THAT(text, StartsWith("Which is largest?\n\nA) 1\nB) 2\nC) 3\n\n"));
  EXPECT_THAT(text, HasSubstr("\"Answer: X\""));
  EXPECT_THAT(text, HasSubstr("letter"));
}

TEST(WorkloadPrompt, InstructionPerKind) {
  Item numeric{"x", "2+2?", "4", "numeric", "c", "s", {}, {}};
  Item exact{"x", "Capital of France?", "Paris", "exact", "c", "s", {}, {}};
  Item chat{"x", "Write a haiku.", "ref", "chat", "c", "s", {}, {}};
  EXPECT_THAT(render_prompt(numeric), HasSubstr("final number"));
  EXPECT_THAT(render_prompt(exact), HasSubstr("short answer"));
  EXPECT_EQ(render_prompt(chat), "Write a haiku.");  // open prompts go out unchanged
  EXPECT_THAT(render_prompt(numeric), StartsWith("2+2?\n\n"));
  EXPECT_THAT(render_prompt(numeric), EndsWith("."));
}

TEST(WorkloadPrompt, OptionLetters) {
  EXPECT_EQ(option_letter(0), "A");
  EXPECT_EQ(option_letter(9), "J");
  EXPECT_THROW(option_letter(10), std::out_of_range);
}

}  // namespace
}  // namespace ipw::workload
