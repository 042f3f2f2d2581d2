// The reference-score columns (schema 3, --perplexity): round trip through both readers, and
// stores that predate them — read as they are when opened read-only, migrated in place when
// opened for writing (e.g. --resume of an older run).
#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "ipw/run/store.h"

namespace ipw::run {
namespace {

class RunStoreReference : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ipw-store-ref-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static QueryRecord query(int seq, std::optional<double> nll, std::optional<int> tokens) {
    QueryRecord q;
    q.seq = seq;
    q.item_id = "q" + std::to_string(seq);
    q.t_end_ns = 1'000;
    q.reference_nll_nats = nll;
    q.reference_tokens = tokens;
    return q;
  }

  // Rewinds a fresh store to the schema before the reference columns (what an older ipw wrote).
  void make_schema_2_store() {
    { (void)RunStore::create(dir_.string()); }
    SQLite::Database db((dir_ / "run.db").string(), SQLite::OPEN_READWRITE);
    db.exec("ALTER TABLE queries DROP COLUMN reference_tokens");
    db.exec("ALTER TABLE queries DROP COLUMN reference_nll_nats");
    db.exec("INSERT INTO queries (seq, repeat, session, item_id, t_start_ns, t_first_token_ns, t_end_ns) "
            "VALUES (0, 0, 1, 'old', 0, 0, 5)");
    db.exec("PRAGMA user_version=2");
  }

  std::vector<QueryRecord> streamed(const RunStore& s) {
    std::vector<QueryRecord> out;
    s.for_each_query([&](const QueryRecord& q) { out.push_back(q); }, {});
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(RunStoreReference, RoundTripsThroughBothReaders) {
  {
    auto s = RunStore::create(dir_.string());
    EXPECT_EQ(s.schema_version(), kSchemaVersion);
    s.commit_queries({query(0, 12.5, 4), query(1, std::nullopt, std::nullopt)}, 1, {});
  }
  const auto s = RunStore::open(dir_.string(), /*read_only=*/true);
  for (const auto& qs : {s.queries(), streamed(s)}) {
    ASSERT_EQ(qs.size(), 2u);
    EXPECT_DOUBLE_EQ(*qs[0].reference_nll_nats, 12.5);
    EXPECT_EQ(*qs[0].reference_tokens, 4);
    EXPECT_FALSE(qs[1].reference_nll_nats);  // not scored stays NULL, never 0
    EXPECT_FALSE(qs[1].reference_tokens);
  }
}

TEST_F(RunStoreReference, OlderStoreReadsAsUnscoredWhenReadOnly) {
  make_schema_2_store();
  const auto s = RunStore::open(dir_.string(), /*read_only=*/true);
  EXPECT_EQ(s.schema_version(), 2);  // a reader never writes
  for (const auto& qs : {s.queries(), streamed(s)}) {
    ASSERT_EQ(qs.size(), 1u);
    EXPECT_EQ(qs[0].item_id, "old");
    EXPECT_FALSE(qs[0].reference_nll_nats);
  }
}

TEST_F(RunStoreReference, OlderStoreIsMigratedWhenOpenedForWriting) {
  make_schema_2_store();
  {
    auto s = RunStore::open(dir_.string());
    EXPECT_EQ(s.schema_version(), kSchemaVersion);
    s.commit_query(query(1, 3.0, 2), 2, {});
  }
  const auto qs = RunStore::open(dir_.string(), true).queries();
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_FALSE(qs[0].reference_nll_nats);  // the old row: unscored
  EXPECT_DOUBLE_EQ(*qs[1].reference_nll_nats, 3.0);
  EXPECT_EQ(*qs[1].reference_tokens, 2);
}

}  // namespace
}  // namespace ipw::run
