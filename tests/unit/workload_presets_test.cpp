// Presets against fixture files written for ipw with each benchmark's real column layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/workload/dataset.h"
#include "ipw/workload/presets.h"
#include "workload_fake_reader.h"

namespace ipw::workload {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Dataset load_fixture(const std::string& file, const std::string& format, bool skip_bad_rows = false) {
  LoadOptions opt;
  opt.format = format;
  opt.skip_bad_rows = skip_bad_rows;
  return load_dataset(std::string(IPW_SOURCE_DIR) + "/tests/fixtures/datasets/" + file, opt);
}

TEST(WorkloadPresets, MmluPro) {
  Dataset ds = load_fixture("mmlu_pro.jsonl", "mmlu-pro");
  ASSERT_EQ(ds.items.size(), 3u);
  const Item& a = ds.items[0];
  EXPECT_EQ(a.id, "70");
  EXPECT_EQ(a.kind, "mc");
  EXPECT_EQ(a.options.size(), 10u);
  EXPECT_EQ(a.answer, "C");
  EXPECT_EQ(a.category, "biology");
  EXPECT_EQ(a.source, "mmlu-pro");
  EXPECT_EQ(ds.items[2].answer, "D");  // from answer_index when the letter is absent
}

TEST(WorkloadPresets, SuperGpqa) {
  Dataset ds = load_fixture("supergpqa.jsonl", "supergpqa");
  ASSERT_EQ(ds.items.size(), 2u);
  EXPECT_EQ(ds.items[0].id, "a1b2c3");
  EXPECT_EQ(ds.items[0].answer, "C");
  EXPECT_EQ(ds.items[0].category, "Literature and Arts");
  EXPECT_EQ(ds.items[1].answer, "B");  // option text "Ohm's law" -> its letter
}

TEST(WorkloadPresets, GpqaShufflesOptionsStablyAndKeepsTheAnswer) {
  Dataset ds = load_fixture("gpqa.csv", "gpqa");
  ASSERT_EQ(ds.items.size(), 3u);
  bool any_not_a = false;
  const std::vector<std::string> correct = {"Coulomb", "Thymine", "Carbon"};
  for (std::size_t i = 0; i < ds.items.size(); ++i) {
    const Item& it = ds.items[i];
    ASSERT_EQ(it.options.size(), 4u);
    EXPECT_EQ(it.options[static_cast<std::size_t>(it.answer[0] - 'A')], correct[i]) << it.id;
    any_not_a = any_not_a || it.answer != "A";
    EXPECT_EQ(it.source, "gpqa");
  }
  EXPECT_TRUE(any_not_a) << "options must not keep the correct answer first";
  EXPECT_EQ(ds.items[0].id, "recTEST001");
  EXPECT_EQ(ds.items[1].prompt, "Which base pairs with adenine in DNA, \"normally\"?");
  EXPECT_EQ(ds.items[1].category, "Biology");
  // Same file, same letters: the order comes from the record id, not from a clock.
  Dataset again = load_fixture("gpqa.csv", "gpqa");
  for (std::size_t i = 0; i < ds.items.size(); ++i) EXPECT_EQ(again.items[i].answer, ds.items[i].answer);
}

TEST(WorkloadPresets, Math500ChoosesNumericOrExact) {
  Dataset ds = load_fixture("math500.jsonl", "math500");
  ASSERT_EQ(ds.items.size(), 3u);
  EXPECT_EQ(ds.items[0].id, "test/prealgebra/1.json");
  EXPECT_EQ(ds.items[0].kind, "numeric");  // \frac{5}{6}
  EXPECT_EQ(ds.items[1].kind, "numeric");
  EXPECT_EQ(ds.items[2].kind, "exact");  // a coordinate pair
  EXPECT_EQ(ds.items[2].category, "Precalculus");
}

TEST(WorkloadPresets, NaturalReasoningGetsSyntheticIds) {
  Dataset ds = load_fixture("natural_reasoning.jsonl", "natural-reasoning");
  ASSERT_EQ(ds.items.size(), 2u);
  EXPECT_EQ(ds.items[0].id, "nr-1");
  EXPECT_EQ(ds.items[1].id, "nr-2");
  EXPECT_EQ(ds.items[0].kind, "reasoning");
  EXPECT_THAT(ds.items[0].answer, HasSubstr("less dense"));
}

TEST(WorkloadPresets, WildChatLastAnsweredTurnWithItsContext) {
  EXPECT_THROW(load_fixture("wildchat.jsonl", "wildchat"), DatasetError);  // line 3 has no reply
  Dataset ds = load_fixture("wildchat.jsonl", "wildchat", true);
  ASSERT_EQ(ds.items.size(), 2u);
  EXPECT_EQ(ds.items[0].prompt, "Suggest a name for a bakery.");
  EXPECT_TRUE(ds.items[0].context.empty());
  EXPECT_EQ(ds.items[1].prompt, "Merci.");
  EXPECT_EQ(ds.items[1].answer, "Avec plaisir.");
  ASSERT_EQ(ds.items[1].context.size(), 2u);
  EXPECT_EQ(ds.items[1].context[1].content, "Bonjour ! Comment puis-je vous aider ?");
  EXPECT_EQ(ds.items[1].category, "French");
  ASSERT_EQ(ds.warnings.size(), 1u);
  EXPECT_THAT(ds.warnings[0], HasSubstr("wildchat.jsonl:3: 'conversation' has no assistant turn"));
}

TEST(WorkloadPresets, UserFieldMapOverridesThePreset) {
  testing::FakeReader reader;
  reader.add("s.jsonl",
             "{\"uuid\":\"u\",\"question\":\"q\",\"options\":[\"a\",\"b\"],\"answer_letter\":\"A\","
             "\"discipline\":\"Science\",\"subfield\":\"Optics\"}\n");
  LoadOptions opt;
  opt.format = "supergpqa";
  opt.field_map = {{"subfield", "category"}};
  EXPECT_EQ(load_dataset("s.jsonl", opt, reader).items[0].category, "Optics");
}

TEST(WorkloadPresets, NamesAndUnknownFormat) {
  std::vector<std::string> names;
  for (const Preset& p : presets()) names.push_back(p.name);
  EXPECT_THAT(names, ElementsAre("mmlu-pro", "supergpqa", "gpqa", "math500", "natural-reasoning", "wildchat",
                                 "simpleqa", "ipw-mixed"));
  testing::FakeReader reader;
  reader.add("x.jsonl", "{}\n");
  LoadOptions opt;
  opt.format = "mmlu";
  try {
    load_dataset("x.jsonl", opt, reader);
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("mmlu-pro, supergpqa, gpqa"));
  }
}

}  // namespace
}  // namespace ipw::workload
