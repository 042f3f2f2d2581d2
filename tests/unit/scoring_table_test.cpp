// Scorer tables: every line of tests/fixtures/scoring/{mc,numeric,exact}.jsonl is a
// response with the verdict a careful human grader gives it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ipw/scoring/scorer.h"

namespace ipw::scoring {
namespace {

struct TableResult {
  int cases = 0;
  int marked_correct = 0;
  int marked_wrong = 0;
};

TableResult run_table(const std::string& kind) {
  const std::string path = std::string(IPW_SOURCE_DIR) + "/tests/fixtures/scoring/" + kind + ".jsonl";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  const Scorer* scorer = scorer_for_kind(kind);
  EXPECT_NE(scorer, nullptr) << kind;
  TableResult result;
  std::string line;
  int line_no = 0;
  while (scorer && std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const nlohmann::json row = nlohmann::json::parse(line);
    workload::Item item;
    item.id = kind + ":" + std::to_string(line_no);
    item.kind = kind;
    item.answer = row.at("answer").get<std::string>();
    if (row.contains("options")) item.options = row["options"].get<std::vector<std::string>>();
    const std::string response = row.at("response").get<std::string>();
    const bool expected = row.at("correct").get<bool>();
    const Score s = scorer->score(item, response);
    ++result.cases;
    (expected ? result.marked_correct : result.marked_wrong)++;
    EXPECT_TRUE(s.correct.has_value()) << path << ":" << line_no << " unscored";
    EXPECT_EQ(s.correct.value_or(!expected), expected)
        << path << ":" << line_no << " (" << row.value("note", "") << ")\n  answer:    " << item.answer
        << "\n  response:  " << response << "\n  extracted: '" << s.extracted << "'";
    EXPECT_EQ(s.method, kind);
  }
  return result;
}

TEST(ScoringTable, MultipleChoice) {
  TableResult r = run_table("mc");
  EXPECT_GE(r.cases, 150);
  EXPECT_GE(r.marked_correct, 60);
  EXPECT_GE(r.marked_wrong, 60);
}

TEST(ScoringTable, Numeric) {
  TableResult r = run_table("numeric");
  EXPECT_GE(r.cases, 150);
  EXPECT_GE(r.marked_correct, 60);
  EXPECT_GE(r.marked_wrong, 60);
}

TEST(ScoringTable, Exact) {
  TableResult r = run_table("exact");
  EXPECT_GE(r.cases, 40);
  EXPECT_GE(r.marked_wrong, 15);
}

}  // namespace
}  // namespace ipw::scoring
