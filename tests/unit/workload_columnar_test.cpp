// Parquet and Arrow datasets (docs/workloads.md, "Parquet and Arrow"). The Arrow
// fixtures come from Apache Arrow's own JavaScript writer
// (tests/support/make-arrow-fixtures.sh; e2e.arrow_fixtures_test checks they still
// do); the Parquet fixtures are written here by DuckDB, the library ipw reads them with.
#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/common/usage_error.h"
#include "ipw/workload/dataset.h"
#include "ipw/workload/dataset_files.h"
#include "ipw/workload/presets.h"
#include "ipw/workload/source_rows.h"
#include "parquet_fixture.h"
#include "report_test_dir.h"

namespace ipw::workload {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using report::testing::TempDir;
using nlohmann::json;
using ipw::testing::write_parquet_copy;

const std::string kFixtures = std::string(IPW_SOURCE_DIR) + "/tests/fixtures/datasets/";

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<SourceRow> arrow_rows(const std::string& bytes, std::vector<std::string>* notes = nullptr) {
  std::vector<std::string> sink;
  return parse_arrow_ipc(bytes, [](int line, const std::string& p) { throw std::runtime_error(std::to_string(line) + ": " + p); },
                         notes ? *notes : sink);
}

Dataset load(const std::string& path, const std::string& format, const std::string& split = "") {
  LoadOptions opt;
  opt.format = format;
  opt.split = split;
  opt.skip_bad_rows = true;  // the WildChat fixture's last row has no reply
  return load_dataset(path, opt);
}

// What an item is, as one comparable value.
json as_json(const Item& it) {
  json context = json::array();
  for (const ChatTurn& t : it.context) context.push_back({t.role, t.content});
  return {{"id", it.id},           {"prompt", it.prompt}, {"answer", it.answer},   {"kind", it.kind},
          {"category", it.category}, {"source", it.source}, {"options", it.options}, {"context", context}};
}

json items_of(const Dataset& ds) {
  json out = json::array();
  for (const Item& it : ds.items) out.push_back(as_json(it));
  return out;
}

TEST(ArrowRows, EveryTypeApacheArrowWritesBecomesJson) {
  std::vector<std::string> notes;
  const std::vector<SourceRow> rows = arrow_rows(disk_reader().read(kFixtures + "arrow/types.arrow"), &notes);
  ASSERT_EQ(rows.size(), 3u);  // two record batches (2 rows + 1)
  EXPECT_EQ(rows[2].line, 3);
  const json& a = rows[0].fields;
  EXPECT_EQ(a["id"], 1);
  EXPECT_EQ(a["text"], "plain");
  EXPECT_EQ(a["big_text"], "grand texte \xC3\xA9");
  EXPECT_EQ(a["small"], -5);
  EXPECT_EQ(a["count"].get<std::uint64_t>(), 4000000000u);
  EXPECT_EQ(a["ratio"], 0.5);
  EXPECT_EQ(a["score"], 1.25);
  EXPECT_EQ(a["flag"], true);
  EXPECT_TRUE(a["nothing"].is_null());
  EXPECT_EQ(a["tags"], json({"a", "b"}));
  EXPECT_EQ(a["numbers"], json({1, -2}));
  EXPECT_EQ(a["turns"], json::parse(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}])"));
  EXPECT_EQ(a["meta"], json::parse(R"({"topic":"math","level":3})"));
  // Types ipw does not read are left empty and said once, not guessed.
  EXPECT_TRUE(a["created"].is_null());
  EXPECT_TRUE(a["blob"].is_null());
  EXPECT_THAT(notes, ElementsAre(HasSubstr("'created' has Arrow type Timestamp"), HasSubstr("'blob' is binary")));
  const json& b = rows[1].fields;
  EXPECT_TRUE(b["text"].is_null());
  EXPECT_EQ(b["big_text"], "");
  EXPECT_EQ(b["flag"], false);
  EXPECT_EQ(b["tags"], json::array());
  EXPECT_TRUE(b["numbers"].is_null());
  EXPECT_TRUE(b["meta"].is_null());
  const json& c = rows[2].fields;
  EXPECT_EQ(c["text"], "third, in the second batch");
  EXPECT_EQ(c["small"], 127);
  EXPECT_EQ(c["numbers"], json({32767}));
  EXPECT_EQ(c["meta"], json::parse(R"({"topic":null,"level":null})"));
  EXPECT_EQ(c["score"], 1e300);
}

TEST(ArrowRows, TheFileLayoutReadsAsTheStreamLayout) {
  const std::vector<SourceRow> stream = arrow_rows(disk_reader().read(kFixtures + "arrow/types.arrow"));
  const std::vector<SourceRow> file = arrow_rows(disk_reader().read(kFixtures + "arrow/types_file.arrow"));
  ASSERT_EQ(stream.size(), file.size());
  for (std::size_t i = 0; i < stream.size(); ++i) EXPECT_EQ(stream[i].fields, file[i].fields) << i;
}

TEST(ArrowRows, DamagedFilesFailWithAMessage) {
  const std::string good = disk_reader().read(kFixtures + "arrow/types.arrow");
  const std::string good_file = disk_reader().read(kFixtures + "arrow/types_file.arrow");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not arrow at all", "a message's metadata runs past the end"},
      {good.substr(0, good.size() / 2), "past the end of the file"},
      {good_file.substr(0, good_file.size() - 3), "does not end as one"},
      {std::string(8, '\xff'), "runs past the end"},
  };
  for (const auto& [bytes, expected] : cases) {
    try {
      arrow_rows(bytes);
      ADD_FAILURE() << "no error for " << bytes.size() << " bytes";
    } catch (const FatalParseError& e) {
      EXPECT_THAT(e.what(), HasSubstr("not a valid Arrow IPC file")) << expected;
      EXPECT_THAT(e.what(), HasSubstr(expected));
    }
  }
  // Every single-byte change either reads or fails with a message (ASan checks the reads).
  for (std::size_t at = 0; at < good.size(); at += 7) {
    std::string bent = good;
    bent[at] = static_cast<char>(bent[at] ^ 0x5a);
    std::vector<std::string> notes;
    try {
      parse_arrow_ipc(bent, [](int, const std::string&) {}, notes);
    } catch (const FatalParseError&) {
    }
  }
}

TEST(ArrowRows, TextThatIsNotUtf8IsABadRow) {
  std::string bytes = disk_reader().read(kFixtures + "arrow/types.arrow");
  const std::size_t at = bytes.find("plain");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '\xff';
  std::vector<std::pair<int, std::string>> bad;
  std::vector<std::string> notes;
  const std::vector<SourceRow> rows =
      parse_arrow_ipc(bytes, [&](int line, const std::string& p) { bad.emplace_back(line, p); }, notes);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].first, 1);
  EXPECT_THAT(bad[0].second, HasSubstr("column 'text' holds text that is not UTF-8"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 2);
}

// Every preset reads the same items from the layout in JSONL or CSV, in Arrow (as
// Apache Arrow writes it) and in Parquet (as DuckDB writes it).
TEST(ColumnarPresets, EveryPresetReadsTheSameItemsFromEveryFileFormat) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> presets = {
      {"mmlu-pro", "mmlu_pro.jsonl"},   {"supergpqa", "supergpqa.jsonl"},
      {"gpqa", "gpqa.csv"},             {"math500", "math500.jsonl"},
      {"natural-reasoning", "natural_reasoning.jsonl"}, {"wildchat", "wildchat.jsonl"},
      {"simpleqa", "simpleqa.csv"},     {"ipw-mixed", "ipw_mixed.jsonl"},
  };
  for (const auto& [preset, file] : presets) {
    SCOPED_TRACE(preset);
    const std::string stem = file.substr(0, file.find('.'));
    const json text = items_of(load(kFixtures + file, preset));
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(items_of(load(kFixtures + "arrow/" + stem + ".arrow", preset)), text);
    const std::string parquet = dir.sub(stem + ".parquet");
    write_parquet_copy(kFixtures + file, parquet);
    EXPECT_EQ(items_of(load(parquet, preset)), text);
  }
}

TEST(ColumnarPresets, NewPresetsReadTheirSourcesConventions) {
  const Dataset simpleqa = load(kFixtures + "simpleqa.csv", "simpleqa");
  ASSERT_EQ(simpleqa.items.size(), 2u);
  EXPECT_EQ(simpleqa.items[0].id, "simpleqa-1");  // the first data row, as in its Parquet copy
  EXPECT_EQ(simpleqa.items[0].kind, "reasoning");
  EXPECT_EQ(simpleqa.items[0].category, "Science and technology");  // from the Python-dict text
  EXPECT_EQ(simpleqa.items[1].answer, "Canberra");

  // The reference harness's own layout, as a save_to_disk folder.
  const Dataset mixed = load(kFixtures + "mixed_1k_seed1_base", "ipw-mixed");
  ASSERT_EQ(mixed.items.size(), 3u);
  EXPECT_EQ(mixed.name, "mixed_1k_seed1_base");
  EXPECT_EQ(mixed.items[0].kind, "chat");
  EXPECT_EQ(mixed.items[0].source, "wildchat");
  EXPECT_EQ(mixed.items[0].category, "creative writing");
  EXPECT_EQ(mixed.items[1].kind, "reasoning");
  EXPECT_EQ(mixed.items[1].source, "natural-reasoning");
  EXPECT_EQ(mixed.items[2].source, "lmsys-chat");
  EXPECT_EQ(mixed.items[2].category, "general");  // an empty subject
  ASSERT_EQ(mixed.files.size(), 1u);
  EXPECT_THAT(mixed.files[0], HasSubstr("data-00000-of-00001.arrow"));

  // WildChat: the last user turn with a reply is the prompt, the turns before it its context.
  const Dataset chat = load(kFixtures + "wildchat.jsonl", "wildchat");
  ASSERT_EQ(chat.items.size(), 2u);
  EXPECT_TRUE(chat.items[0].context.empty());
  EXPECT_EQ(chat.items[1].prompt, "Merci.");
  EXPECT_EQ(chat.items[1].answer, "Avec plaisir.");
  ASSERT_EQ(chat.items[1].context.size(), 2u);
  EXPECT_EQ(chat.items[1].context[0].role, "user");
  EXPECT_EQ(chat.items[1].context[0].content, "Bonjour !");
  EXPECT_EQ(chat.items[1].context[1].role, "assistant");
}

TEST(ColumnarPresets, AMissingColumnIsNamedWithTheFileAndItsColumns) {
  TempDir dir;
  const std::string parquet = dir.sub("mmlu.parquet");
  write_parquet_copy(kFixtures + "mmlu_pro.jsonl", parquet, "question, options, answer, answer_index");
  try {
    load(parquet, "mmlu-pro");
    FAIL() << "a missing column must fail";
  } catch (const DatasetError& e) {
    EXPECT_THAT(e.what(), HasSubstr(parquet + ": the mmlu-pro layout needs the column 'question_id'"));
    EXPECT_THAT(e.what(), HasSubstr("columns: answer, answer_index, options, question"));
  }
  // A field map that stands in for the column is enough.
  LoadOptions opt;
  opt.format = "mmlu-pro";
  opt.field_map = {{"question", "id"}};
  EXPECT_EQ(load_dataset(parquet, opt).items.size(), 3u);
}

TEST(ColumnarPresets, ACorruptParquetFileIsAClearError) {
  TempDir dir;
  const std::string bad = dir.sub("broken.parquet");
  spit(bad, "PAR1 this is not really parquet");
  try {
    load(bad, "auto");
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad + ": cannot read it as Parquet"));
  }
}

TEST(ColumnarPresets, AMissingDuckDbLibrarySaysHowToInstallIt) {
  TempDir dir;
  const std::string parquet = dir.sub("m.parquet");
  write_parquet_copy(kFixtures + "math500.jsonl", parquet);
  ::setenv("IPW_DUCKDB_LIBRARY", "/nonexistent/libduckdb.so", 1);
  try {
    load(parquet, "math500");
    ADD_FAILURE() << "no error without the library";
  } catch (const DatasetError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs DuckDB's C library"));
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/libduckdb.so"));
    EXPECT_THAT(e.what(), HasSubstr("npm ci"));
  }
  ::unsetenv("IPW_DUCKDB_LIBRARY");
  EXPECT_EQ(load(parquet, "math500").items.size(), 3u);
}

TEST(DatasetFolders, AHubDownloadIsReadOneSplitAtATimeInShardOrder) {
  TempDir dir;
  std::filesystem::create_directories(dir.sub("data"));
  const std::string src = kFixtures + "mmlu_pro.jsonl";
  write_parquet_copy(src, dir.sub("data/test-00000-of-00002.parquet"), "*", "question_id = 70");
  write_parquet_copy(src, dir.sub("data/test-00001-of-00002.parquet"), "*", "question_id = 71");
  write_parquet_copy(src, dir.sub("data/validation-00000-of-00001.parquet"), "*", "question_id = 72");
  spit(dir.sub("README.md"), "# a dataset card, not data\n");
  try {
    load(dir.path().string(), "mmlu-pro");
    FAIL() << "two splits and no --split";
  } catch (const DatasetError& e) {
    EXPECT_THAT(e.what(), HasSubstr("holds the splits test, validation: choose one with --split"));
  }
  const Dataset test = load(dir.path().string(), "mmlu-pro", "test");
  EXPECT_EQ(test.split, "test");
  ASSERT_EQ(test.items.size(), 2u);
  EXPECT_EQ(test.items[0].id, "70");
  EXPECT_EQ(test.items[1].id, "71");
  EXPECT_EQ(test.files.size(), 2u);
  EXPECT_EQ(load(dir.path().string(), "mmlu-pro", "validation").items[0].id, "72");
  EXPECT_THROW(load(dir.path().string(), "mmlu-pro", "train"), DatasetError);
  // The folder's hash covers each shard: a changed shard is a changed dataset.
  write_parquet_copy(src, dir.sub("data/test-00001-of-00002.parquet"), "*", "question_id = 72");
  EXPECT_NE(load(dir.path().string(), "mmlu-pro", "test").content_hash, test.content_hash);
}

TEST(DatasetFolders, SaveToDiskFoldersOfOneOrSeveralSplits) {
  TempDir dir;
  const std::filesystem::path saved = kFixtures + "mixed_1k_seed1_base";
  std::filesystem::create_directories(dir.sub("dict/test"));
  for (const char* f : {"state.json", "data-00000-of-00001.arrow"}) std::filesystem::copy_file(saved / f, dir.sub(std::string("dict/test/") + f));
  spit(dir.sub("dict/dataset_dict.json"), R"({"splits": ["test"]})");
  const Dataset only = load(dir.sub("dict"), "ipw-mixed");
  EXPECT_EQ(only.split, "test");
  EXPECT_EQ(items_of(only), items_of(load(saved.string(), "ipw-mixed")));
  spit(dir.sub("dict/dataset_dict.json"), R"({"splits": ["test", "train"]})");
  EXPECT_THROW(load(dir.sub("dict"), "ipw-mixed"), DatasetError);
  EXPECT_EQ(load(dir.sub("dict"), "ipw-mixed", "test").items.size(), 3u);
}

TEST(DatasetFolders, SplitOfAFile) {
  EXPECT_EQ(split_of("data/test-00000-of-00002.parquet"), "test");
  EXPECT_EQ(split_of("default/validation/0000.parquet"), "validation");
  EXPECT_EQ(split_of("train.jsonl"), "train");
  EXPECT_EQ(split_of("SuperGPQA-all.jsonl"), "SuperGPQA-all");
}

TEST(DatasetFolders, SplitIsAUsageErrorForAFile) {
  EXPECT_THROW(load(kFixtures + "math500.jsonl", "math500", "test"), UsageError);
  EXPECT_THROW(load("builtin", "auto", "test"), UsageError);
}

TEST(ColumnarPresets, FormatListingNamesEveryPresetAndItsColumns) {
  const std::string listing = format_listing();
  for (const char* text : {"mmlu-pro  TIGER-Lab/MMLU-Pro", "'answer' or 'answer_index'", "simpleqa", "ipw-mixed",
                           "'dataset_metadata'", "wildchat", "'language' (optional)", "parquet"}) {
    EXPECT_THAT(listing, HasSubstr(text));
  }
}

}  // namespace
}  // namespace ipw::workload
