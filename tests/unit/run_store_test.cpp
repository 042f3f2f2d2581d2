#include "ipw/run/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "ipw/run/profile_config.h"
#include "ipw/run/query_columns.h"
#include "ipw/run/run_dir.h"

namespace ipw::run {
namespace {

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("ipw-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(RunStoreTest, TheColumnTableIsExactlyTheSchemasQueriesTable) {
  // Insert and read walk query_columns(); the schema is made by its migrations. A column
  // added to one and not the other would be lost or unread.
  { RunStore::create(root_.string()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((root_ / "run.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('queries')", -1, &st, nullptr), SQLITE_OK);
  std::set<std::string> schema;
  while (sqlite3_step(st) == SQLITE_ROW) schema.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::set<std::string> table;
  for (const QueryColumn& c : query_columns()) EXPECT_TRUE(table.insert(c.name).second) << c.name << " twice";
  EXPECT_EQ(table, schema);
}

QueryRecord sample_query(int seq) {
  QueryRecord q;
  q.seq = seq;
  q.item_id = "q" + std::to_string(seq);
  q.category = "maths";
  q.kind = "numeric";
  q.prompt = "What is 2+2?";
  q.reference = "4";
  q.response = "4, \"quoted\"";
  q.correct = true;
  q.input_tokens = 7;
  q.output_tokens = 3;
  q.t_start_ns = 1'000;
  q.t_first_token_ns = 2'000;
  q.t_end_ns = 5'000;
  q.token_times_ns = {2'000, 3'000, 5'000};
  q.energy_j = 1.5;
  q.energy_source = "counter";
  q.domains.push_back({0, 1.5, 0.5, 1.0, "counter", 0, 4});
  return q;
}

TEST_F(RunStoreTest, RoundTripsQueriesSamplesAndManifest) {
  {
    auto store = RunStore::create(root_.string());
    store.write_manifest({{"config", {{"model", "m"}}}});
    telemetry::DomainInfo info{"cpu", "test cpu", "cpu", telemetry::EnergySource::estimated, 0.0};
    store.write_domains({{0, info, 10'000'000}});
    const int s = store.begin_session({});
    QueryRecord q = sample_query(0);
    QueryRecord unscored = sample_query(1);
    unscored.correct.reset();
    unscored.energy_j.reset();
    store.commit_query(q, s, {{10, 0, 0.0, 2.0, std::nullopt, std::nullopt}});
    store.commit_query(unscored, s, {});
  }
  const auto store = RunStore::open(root_.string(), true);
  EXPECT_EQ(store.manifest()["config"]["model"], "m");
  const auto qs = store.queries();
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0].response, "4, \"quoted\"");
  EXPECT_EQ(qs[0].token_times_ns, (std::vector<std::int64_t>{2'000, 3'000, 5'000}));
  EXPECT_EQ(*qs[0].correct, true);
  ASSERT_EQ(qs[0].domains.size(), 1u);
  EXPECT_DOUBLE_EQ(*qs[0].domains[0].decode_energy_j, 1.0);
  EXPECT_FALSE(qs[1].correct.has_value());   // NULL stays "not scored", not false
  EXPECT_FALSE(qs[1].energy_j.has_value());  // NULL stays "not measured", not 0
  int samples = 0;
  store.for_each_sample([&](int, const telemetry::Sample& smp) {
    ++samples;
    EXPECT_DOUBLE_EQ(*smp.power_w, 2.0);
    EXPECT_FALSE(smp.temperature_c.has_value());
  });
  EXPECT_EQ(samples, 1);
  EXPECT_EQ(store.domains().at(0).info.source, telemetry::EnergySource::estimated);
  EXPECT_EQ(store.completed_keys(), (std::set<QueryKey>{{0, 0, 0}, {0, 1, 0}}));
}

TEST_F(RunStoreTest, NeverOverwritesAndRejectsDuplicates) {
  auto store = RunStore::create(root_.string());
  const int s = store.begin_session({});
  store.commit_query(sample_query(0), s, {});
  EXPECT_THROW(RunStore::create(root_.string()), StoreError);
  EXPECT_ANY_THROW(store.commit_query(sample_query(0), s, {}));  // same (seq, repeat)
  EXPECT_EQ(store.query_count(), 1u);  // the failed transaction left nothing behind
}

TEST_F(RunStoreTest, OpenNamesTheMissingFile) {
  try {
    RunStore::open((root_ / "nope").string());
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("run.db"), std::string::npos);
  }
}

TEST_F(RunStoreTest, RunDirsAreUnique) {
  const std::string a = create_run_dir(root_.string(), "qwen/Qwen3 8B");
  const std::string b = create_run_dir(root_.string(), "qwen/Qwen3 8B");
  EXPECT_NE(a, b);
  EXPECT_NE(a.find("qwen_Qwen3_8B"), std::string::npos);
}

TEST(ProfileConfig, RoundTripsAndRejectsUnknownKeys) {
  ProfileConfig c;
  c.model = "m";
  c.seed = 42;
  c.engine_args = {"-t", "2"};
  const ProfileConfig back = merge_config(ProfileConfig{}, to_json(c));
  EXPECT_EQ(to_json(back), to_json(c));
  const ProfileConfig over = merge_config(c, {{"server", "http://x"}, {"max_queries", 5}});
  EXPECT_EQ(over.server, "http://x");
  EXPECT_EQ(over.max_queries, 5);
  EXPECT_EQ(over.model, "m");
  EXPECT_THROW(merge_config(c, {{"modle", "typo"}}), std::invalid_argument);
  EXPECT_THROW(merge_config(c, {{"max_queries", "five"}}), std::invalid_argument);
}

}  // namespace
}  // namespace ipw::run
