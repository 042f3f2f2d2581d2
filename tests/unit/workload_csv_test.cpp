#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/workload/dataset.h"
#include "ipw/workload/source_rows.h"
#include "workload_fake_reader.h"

namespace ipw::workload {
namespace {

using ::testing::ElementsAre;
using testing::FakeReader;
using ::testing::HasSubstr;

struct Collected {
  std::vector<std::pair<int, std::string>> problems;
  BadRowHandler handler() {
    return [this](int line, const std::string& p) { problems.emplace_back(line, p); };
  }
};

TEST(WorkloadCsv, Rfc4180Quoting) {
  Collected bad;
  auto rows = parse_csv(
      "id,prompt,answer\r\n"
      "1,\"Hello, world\",x\r\n"
      "2,\"She said \"\"hi\"\"\",y\r\n"
      "3,\"two\nlines\",z\n"
      "4,,\"\"\n",
      bad.handler());
  EXPECT_TRUE(bad.problems.empty());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].line, 2);
  EXPECT_EQ(rows[0].fields["prompt"], "Hello, world");
  EXPECT_EQ(rows[1].fields["prompt"], "She said \"hi\"");
  EXPECT_EQ(rows[2].fields["prompt"], "two\nlines");
  EXPECT_EQ(rows[2].line, 4);
  EXPECT_EQ(rows[3].line, 6);  // the record after a two-line field starts on line 6
  EXPECT_EQ(rows[3].fields["prompt"], "");
  EXPECT_EQ(rows[3].fields["answer"], "");
}

TEST(WorkloadCsv, NoTrailingNewlineAndBomAndBlankLines) {
  Collected bad;
  auto rows = parse_csv("\xEF\xBB\xBFid,answer\n\n1,a\n\n2,b", bad.handler());
  EXPECT_TRUE(bad.problems.empty());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].fields.contains("id"));  // the BOM is not part of the first column's name
  EXPECT_EQ(rows[0].line, 3);
  EXPECT_EQ(rows[1].fields["answer"], "b");
  EXPECT_EQ(rows[1].line, 5);
}

TEST(WorkloadCsv, BadRowsAreReportedWithTheirLine) {
  Collected bad;
  auto rows = parse_csv(
      "id,prompt\n"
      "1,ok\n"
      "2,too,many\n"
      "3,bad \"quote\"\n"
      "4,\"closed\" junk\n"
      "5,fine\n",
      bad.handler());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields["id"], "5");
  ASSERT_EQ(bad.problems.size(), 3u);
  EXPECT_EQ(bad.problems[0].first, 3);
  EXPECT_THAT(bad.problems[0].second, HasSubstr("expected 2 fields"));
  EXPECT_EQ(bad.problems[1].first, 4);
  EXPECT_THAT(bad.problems[1].second, HasSubstr("stray quote"));
  EXPECT_EQ(bad.problems[2].first, 5);
  EXPECT_THAT(bad.problems[2].second, HasSubstr("after a closing quote"));
}

TEST(WorkloadCsv, UnterminatedQuoteIsFatalAndNamesItsLine) {
  Collected bad;
  try {
    parse_csv("id,prompt\n1,ok\n2,\"never closed\n3,x\n", bad.handler());
    FAIL() << "expected FatalParseError";
  } catch (const FatalParseError& e) {
    EXPECT_EQ(e.line, 3);
    EXPECT_THAT(std::string(e.what()), HasSubstr("unterminated"));
  }
}

TEST(WorkloadCsv, HeaderProblemsAreFatal) {
  Collected bad;
  EXPECT_THROW(parse_csv("id,id\n1,2\n", bad.handler()), FatalParseError);
  EXPECT_THROW(parse_csv("id,,answer\n1,2,3\n", bad.handler()), FatalParseError);
}

TEST(WorkloadCsv, LoadsItemsWithOptionsAndFieldMap) {
  FakeReader reader;
  reader.add("bench/set.csv",
             "qid,question,opts,gold,topic\n"
             "q1,\"Largest planet?\",\"Mars | Jupiter | Venus\",B,astronomy\n"
             "q2,\"Pick, carefully\",\"[\"\"1\"\", \"\"2, or 3\"\"]\",\"2, or 3\",\n"
             "q3,2+2?,,4,maths\n");
  LoadOptions opt;
  opt.field_map = {
      {"qid", "id"}, {"question", "prompt"}, {"opts", "options"}, {"gold", "answer"}, {"topic", "category"}};
  Dataset ds = load_dataset("bench/set.csv", opt, reader);
  EXPECT_EQ(ds.name, "set");
  ASSERT_EQ(ds.items.size(), 3u);
  EXPECT_THAT(ds.items[0].options, ElementsAre("Mars", "Jupiter", "Venus"));
  EXPECT_EQ(ds.items[0].kind, "mc");
  EXPECT_EQ(ds.items[0].answer, "B");
  EXPECT_EQ(ds.items[0].source, "set");
  EXPECT_EQ(ds.items[1].prompt, "Pick, carefully");
  EXPECT_THAT(ds.items[1].options, ElementsAre("1", "2, or 3"));
  EXPECT_EQ(ds.items[1].answer, "B");  // option text converted to its letter
  EXPECT_EQ(ds.items[1].category, "uncategorised");
  EXPECT_EQ(ds.items[2].kind, "exact");
  EXPECT_TRUE(ds.items[2].options.empty());
}

TEST(WorkloadCsv, MappedColumnMissingFromHeaderIsNamed) {
  FakeReader reader;
  reader.add("s.csv", "id,prompt,answer\n1,p,a\n");
  LoadOptions opt;
  opt.field_map = {{"question", "prompt"}};
  try {
    load_dataset("s.csv", opt, reader);
    FAIL() << "expected DatasetError";
  } catch (const DatasetError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("column 'question'"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("columns: answer, id, prompt"));
  }
}

TEST(WorkloadCsv, LoaderPrefixesFileAndLine) {
  FakeReader reader;
  reader.add("s.csv", "id,prompt,answer\n1,p,a\n2,p\n");
  reader.add("u.csv", "id,prompt,answer\n1,\"p,a\n");
  try {
    load_dataset("s.csv", {}, reader);
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("s.csv:3: expected 3 fields"));
  }
  try {
    load_dataset("u.csv", {}, reader);
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("u.csv:2: unterminated quoted field"));
  }
}

}  // namespace
}  // namespace ipw::workload
