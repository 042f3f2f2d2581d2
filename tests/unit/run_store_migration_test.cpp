// Schema 5 (--sweep) puts the stage into the key of queries and query_energy. A store
// written at schema 4 (tests/fixtures/run-store-v4.sql, made by the ipw of that schema)
// must read as it is when opened read-only, and be re-keyed in place, with nothing lost,
// when opened for writing (--resume, ipw score).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "ipw/run/store.h"
#include "report_test_dir.h"

namespace ipw::run {
namespace {

class RunStoreMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(IPW_SOURCE_DIR) + "/tests/fixtures/run-store-v4.sql");
    std::stringstream sql;
    sql << in.rdbuf();
    ASSERT_FALSE(sql.str().empty());
    SQLite::Database db((dir_ / "run.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(sql.str());
  }

  static std::vector<QueryRecord> streamed(const RunStore& s) {
    std::vector<QueryRecord> out;
    RunStore::QueryReadOptions all;
    all.texts = all.token_times = all.domains = true;
    s.for_each_query([&](const QueryRecord& q) { out.push_back(q); }, all);
    return out;
  }

  // The fixture's three queries, as both readers return them.
  static void expect_fixture_queries(const std::vector<QueryRecord>& qs) {
    ASSERT_GE(qs.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(qs[i].key(), (QueryKey{0, i, 0}));
      ASSERT_EQ(qs[i].domains.size(), 1u) << i;
      ASSERT_TRUE(qs[i].energy_j) << i;
      EXPECT_GT(*qs[i].energy_j, 0) << i;
      EXPECT_DOUBLE_EQ(*qs[i].domains[0].energy_j, *qs[i].energy_j) << i;
      EXPECT_FALSE(qs[i].response.empty()) << i;
    }
  }

  report::testing::TempDir tmp_;
  const std::filesystem::path& dir_ = tmp_.path();
};

TEST_F(RunStoreMigration, SchemaFourReadsAsItIsWhenReadOnly) {
  const auto s = RunStore::open(dir_.string(), /*read_only=*/true);
  EXPECT_EQ(s.schema_version(), 4);  // a reader never writes
  expect_fixture_queries(s.queries());
  expect_fixture_queries(streamed(s));
  EXPECT_EQ(s.completed_keys(), (std::set<QueryKey>{{0, 0, 0}, {0, 1, 0}, {0, 2, 0}}));
}

TEST_F(RunStoreMigration, SchemaFourIsRekeyedWhenOpenedForWriting) {
  std::vector<QueryRecord> before;
  { before = RunStore::open(dir_.string(), true).queries(); }
  {
    auto s = RunStore::open(dir_.string());
    EXPECT_EQ(s.schema_version(), kSchemaVersion);
    // The same workload position in a second stage is a new query now…
    QueryRecord q = before[0];
    q.stage = 1;
    s.commit_query(q, 2, {});
    // …and the key still refuses a duplicate.
    EXPECT_ANY_THROW(s.commit_query(before[1], 2, {}));
  }
  const auto s = RunStore::open(dir_.string(), true);
  const auto after = s.queries();
  ASSERT_EQ(after.size(), 4u);
  expect_fixture_queries(after);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(after[i].response, before[i].response);
    EXPECT_EQ(after[i].token_times_ns, before[i].token_times_ns);
    EXPECT_EQ(*after[i].energy_j, *before[i].energy_j);
  }
  EXPECT_EQ(after[3].key(), (QueryKey{1, 0, 0}));
  ASSERT_EQ(after[3].domains.size(), 1u);  // its per-domain row joined on the stage too
  EXPECT_EQ(streamed(s).size(), 4u);
  EXPECT_EQ(streamed(s)[3].domains.size(), 1u);
  EXPECT_EQ(s.sessions().size(), 1u);  // the other tables are untouched
}

}  // namespace
}  // namespace ipw::run
