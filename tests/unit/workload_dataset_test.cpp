#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/workload/builtin_data.h"
#include "ipw/common/sha256.h"
#include "ipw/workload/dataset.h"
#include "workload_fake_reader.h"

namespace ipw::workload {
namespace {

using testing::FakeReader;
using ::testing::HasSubstr;

// Runs the load and returns the DatasetError's message ("" when it did not throw).
std::string load_error(const std::string& spec, const FakeReader& reader, const LoadOptions& opt = {}) {
  try {
    load_dataset(spec, opt, reader);
  } catch (const DatasetError& e) {
    return e.what();
  }
  return "";
}

TEST(WorkloadDataset, LoadsJsonlWithDefaults) {
  FakeReader reader;
  reader.add("data/q.jsonl",
             "{\"id\":\"a\",\"prompt\":\"Capital of France?\",\"answer\":\"Paris\"}\n"
             "\n"
             "{\"id\":\"b\",\"prompt\":\"Pick one\",\"answer\":\"b\",\"options\":[\"x\",\"y\",3],"
             "\"category\":\"misc\",\"source\":\"mine\",\"extra\":{\"ignored\":true}}\r\n"
             "{\"id\":7,\"prompt\":\"2+2?\",\"answer\":4,\"kind\":\"Numeric\"}\n");
  Dataset ds = load_dataset("data/q.jsonl", {}, reader);
  EXPECT_EQ(ds.name, "q");
  ASSERT_EQ(ds.items.size(), 3u);
  EXPECT_EQ(ds.items[0].kind, "exact");
  EXPECT_EQ(ds.items[0].category, "uncategorised");
  EXPECT_EQ(ds.items[0].source, "q");
  EXPECT_EQ(ds.items[1].kind, "mc");
  EXPECT_EQ(ds.items[1].answer, "B");  // letters are normalised to upper case
  EXPECT_THAT(ds.items[1].options, ::testing::ElementsAre("x", "y", "3"));
  EXPECT_EQ(ds.items[1].category, "misc");
  EXPECT_EQ(ds.items[1].source, "mine");
  EXPECT_EQ(ds.items[2].id, "7");
  EXPECT_EQ(ds.items[2].answer, "4");
  EXPECT_EQ(ds.items[2].kind, "numeric");
  EXPECT_TRUE(ds.warnings.empty());
}

TEST(WorkloadDataset, ContentHashIsSha256OfTheBytes) {
  const std::string bytes = "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n";
  FakeReader reader;
  reader.add("a.jsonl", bytes);
  EXPECT_EQ(load_dataset("a.jsonl", {}, reader).content_hash, sha256_hex(bytes));
  // The FIPS 180-2 test vector, so the hash is the standard one and not merely stable.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(WorkloadDataset, MalformedJsonNamesFileAndLine) {
  FakeReader reader;
  reader.add("bad.jsonl",
             "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n"
             "{\"id\":\"b\",\"prompt\":\"p\",\"answer\":\"x\"\n");
  std::string err = load_error("bad.jsonl", reader);
  EXPECT_THAT(err, HasSubstr("bad.jsonl:2: malformed JSON"));
}

// nlohmann throws out_of_range (not parse_error) for 1e400: the same named error.
TEST(WorkloadDataset, NumberOutOfRangeNamesFileAndLine) {
  FakeReader reader;
  reader.add("big.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\",\"weight\":1e400}\n");
  EXPECT_THAT(load_error("big.jsonl", reader), HasSubstr("big.jsonl:1: malformed JSON"));
}

TEST(WorkloadDataset, NonObjectLineIsBad) {
  FakeReader reader;
  reader.add("bad.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n\"just a string\"\n");
  EXPECT_THAT(load_error("bad.jsonl", reader), HasSubstr("bad.jsonl:2: expected a JSON object, got string"));
}

TEST(WorkloadDataset, JsonArrayFileGetsAClearMessage) {
  FakeReader reader;
  reader.add("arr.json", "[\n{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n]\n");
  EXPECT_THAT(load_error("arr.json", reader), HasSubstr("arr.json:1: this looks like a JSON array"));
}

TEST(WorkloadDataset, MissingAndEmptyRequiredFields) {
  FakeReader reader;
  reader.add("m.jsonl", "{\"id\":\"a\",\"prompt\":\"p\"}\n");
  reader.add("e.jsonl", "{\"id\":\"a\",\"prompt\":\"  \",\"answer\":\"x\"}\n");
  reader.add("n.jsonl", "{\"prompt\":\"p\",\"answer\":\"x\"}\n");
  reader.add("t.jsonl", "{\"id\":\"a\",\"prompt\":[\"p\"],\"answer\":\"x\"}\n");
  EXPECT_THAT(load_error("m.jsonl", reader), HasSubstr("m.jsonl:1: missing required field 'answer'"));
  EXPECT_THAT(load_error("e.jsonl", reader), HasSubstr("e.jsonl:1: field 'prompt' is empty"));
  EXPECT_THAT(load_error("n.jsonl", reader), HasSubstr("n.jsonl:1: missing required field 'id'"));
  EXPECT_THAT(load_error("t.jsonl", reader), HasSubstr("t.jsonl:1: field 'prompt' must be a string or a number"));
}

TEST(WorkloadDataset, DuplicateIdNamesBothLines) {
  FakeReader reader;
  reader.add("d.jsonl",
             "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n"
             "{\"id\":\"b\",\"prompt\":\"p\",\"answer\":\"x\"}\n"
             "{\"id\":\"a\",\"prompt\":\"q\",\"answer\":\"y\"}\n");
  EXPECT_THAT(load_error("d.jsonl", reader), HasSubstr("d.jsonl:3: duplicate id 'a' (first used at d.jsonl:1)"));
}

TEST(WorkloadDataset, SkipBadRowsWarnsAndKeepsTheRest) {
  FakeReader reader;
  reader.add("s.jsonl",
             "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n"
             "not json\n"
             "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n"
             "{\"id\":\"c\",\"prompt\":\"p\"}\n"
             "{\"id\":\"d\",\"prompt\":\"p\",\"answer\":\"x\"}\n");
  LoadOptions opt;
  opt.skip_bad_rows = true;
  Dataset ds = load_dataset("s.jsonl", opt, reader);
  ASSERT_EQ(ds.items.size(), 2u);
  EXPECT_EQ(ds.items[1].id, "d");
  ASSERT_EQ(ds.warnings.size(), 3u);
  EXPECT_THAT(ds.warnings[0], HasSubstr("s.jsonl:2: malformed JSON"));
  EXPECT_THAT(ds.warnings[1], HasSubstr("s.jsonl:3: duplicate id 'a'"));
  EXPECT_THAT(ds.warnings[2], HasSubstr("s.jsonl:4: missing required field 'answer'"));
  EXPECT_THAT(ds.warnings[2], HasSubstr("(row skipped)"));
}

TEST(WorkloadDataset, EveryRowBadIsStillAnError) {
  FakeReader reader;
  reader.add("s.jsonl", "nope\n");
  LoadOptions opt;
  opt.skip_bad_rows = true;
  EXPECT_THAT(load_error("s.jsonl", reader, opt), HasSubstr("no items (every row was skipped as bad)"));
  reader.add("empty.jsonl", "\n\n");
  EXPECT_THAT(load_error("empty.jsonl", reader), HasSubstr("empty.jsonl: no items"));
}

TEST(WorkloadDataset, MultipleChoiceValidation) {
  FakeReader reader;
  reader.add("one.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"A\",\"options\":[\"only\"]}\n");
  reader.add("range.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"E\",\"options\":[\"w\",\"x\",\"y\",\"z\"]}\n");
  reader.add("text.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"Rome\",\"options\":[\"Paris\",\"Rome\"]}\n");
  reader.add("paren.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"(b)\",\"options\":[\"Paris\",\"Rome\"]}\n");
  reader.add("noopt.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"A\",\"kind\":\"mc\"}\n");
  reader.add("kind.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"A\",\"kind\":\"numerc\"}\n");
  EXPECT_THAT(load_error("one.jsonl", reader), HasSubstr("needs 2 to 10 options, got 1"));
  EXPECT_THAT(load_error("range.jsonl", reader), HasSubstr("answer 'E' is neither a letter A..D"));
  EXPECT_EQ(load_dataset("text.jsonl", {}, reader).items[0].answer, "B");
  EXPECT_EQ(load_dataset("paren.jsonl", {}, reader).items[0].answer, "B");
  EXPECT_THAT(load_error("noopt.jsonl", reader), HasSubstr("got 0"));
  EXPECT_THAT(load_error("kind.jsonl", reader), HasSubstr("kind.jsonl:1: unknown kind 'numerc'"));
}

TEST(WorkloadDataset, FieldMapRenamesColumns) {
  FakeReader reader;
  reader.add("m.jsonl",
             "{\"question_id\":12,\"question\":\"Q?\",\"answer_text\":\"42\",\"prompt\":\"not me\",\"topic\":\"t\"}\n");
  LoadOptions opt;
  opt.field_map = {{"question_id", "id"}, {"question", "prompt"}, {"answer_text", "answer"}, {"topic", "category"}};
  Dataset ds = load_dataset("m.jsonl", opt, reader);
  ASSERT_EQ(ds.items.size(), 1u);
  EXPECT_EQ(ds.items[0].id, "12");
  EXPECT_EQ(ds.items[0].prompt, "Q?");  // the mapped column wins over a same-named one
  EXPECT_EQ(ds.items[0].answer, "42");
  EXPECT_EQ(ds.items[0].category, "t");
}

TEST(WorkloadDataset, FieldMapErrorsAreExplicit) {
  FakeReader reader;
  reader.add("m.jsonl", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n");
  LoadOptions reversed;
  reversed.field_map = {{"prompt", "question"}};  // written the wrong way round
  EXPECT_THAT(load_error("m.jsonl", reader, reversed), HasSubstr("'question' is not an ipw field"));
  LoadOptions twice;
  twice.field_map = {{"q1", "prompt"}, {"q2", "prompt"}};
  EXPECT_THAT(load_error("m.jsonl", reader, twice), HasSubstr("both 'q1' and 'q2' map to 'prompt'"));
  LoadOptions absent;
  absent.field_map = {{"question", "prompt"}};
  // The row's own "prompt" column must not stand in for the mapped one.
  EXPECT_THAT(load_error("m.jsonl", reader, absent),
              HasSubstr("m.jsonl:1: missing required field 'prompt' (column 'question')"));
}

TEST(WorkloadDataset, FormatSelection) {
  FakeReader reader;
  reader.add("x.txt", "{\"id\":\"a\",\"prompt\":\"p\",\"answer\":\"x\"}\n");
  EXPECT_THAT(load_error("x.txt", reader), HasSubstr("cannot tell the format of x.txt"));
  LoadOptions jsonl;
  jsonl.format = "jsonl";
  EXPECT_EQ(load_dataset("x.txt", jsonl, reader).items.size(), 1u);
  LoadOptions bogus;
  bogus.format = "xlsx";
  EXPECT_THAT(load_error("x.txt", reader, bogus), HasSubstr("unknown dataset format 'xlsx'"));
  EXPECT_THAT(load_error("missing.jsonl", reader), HasSubstr("cannot read missing.jsonl"));
}

TEST(WorkloadDataset, DiskReaderNamesTheFileAndReason) {
  try {
    disk_reader().read("/nonexistent/ipw/q.jsonl");
    FAIL() << "expected DatasetError";
  } catch (const DatasetError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("cannot read /nonexistent/ipw/q.jsonl: No such file"));
  }
  EXPECT_THROW(disk_reader().read("/"), DatasetError);
}

TEST(WorkloadDataset, BuiltinLoadsEveryEmbeddedFile) {
  FakeReader no_files;  // the built-in workload never touches the reader
  Dataset ds = load_dataset("builtin", {}, no_files);
  EXPECT_EQ(ds.name, "builtin");
  ASSERT_FALSE(builtin_files().empty());
  std::string all;
  for (const auto& f : builtin_files()) all += f.content;
  EXPECT_EQ(ds.content_hash, sha256_hex(all));
  EXPECT_GE(ds.items.size(), 60u);
  EXPECT_TRUE(ds.warnings.empty());
  for (const Item& item : ds.items) {
    EXPECT_FALSE(item.id.empty());
    EXPECT_FALSE(item.category.empty());
    if (item.kind == "mc") {
      EXPECT_GE(item.options.size(), 2u) << item.id;
    }
  }
}

TEST(WorkloadDataset, BuiltinSubsetByFileName) {
  FakeReader no_files;
  const std::string stem = std::string(builtin_files().front().name.substr(0, builtin_files().front().name.find('.')));
  Dataset one = load_dataset("builtin:" + stem, {}, no_files);
  EXPECT_FALSE(one.items.empty());
  if (builtin_files().size() > 1) {
    EXPECT_LT(one.items.size(), load_dataset("builtin", {}, no_files).items.size());
  }
  EXPECT_THAT(load_error("builtin:no-such-file", no_files),
              HasSubstr("no built-in workload file named 'no-such-file'"));
}

}  // namespace
}  // namespace ipw::workload
