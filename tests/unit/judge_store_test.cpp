// The run store's judge side: schema 2, the in-place migration of v1 stores, the
// judgment cache and transactional rescoring.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "ipw/run/store.h"

namespace ipw::run {
namespace {

using judge::JudgmentRecord;

class JudgeStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ipw-judge-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "run.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  // A store as schema 1 wrote it: later schemas only added the judgments table (2) and
  // two nullable query columns (3), so removing those gives the v1 layout.
  void make_v1_store() {
    {
      auto store = RunStore::create(dir_.string());
      const int s = store.begin_session({});
      QueryRecord q;
      q.item_id = "c1";
      q.kind = "chat";
      store.commit_query(q, s, {});
    }
    sql("DROP TABLE judgments; PRAGMA user_version=1;");
    for (const char* column : {"reference_nll_nats", "reference_tokens"}) {
      sql_if_present(column, std::string("ALTER TABLE queries DROP COLUMN ") + column);
    }
  }

  void sql_if_present(const char* column, const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "run.db").c_str(), &db), SQLITE_OK);
    const std::string probe = std::string("SELECT ") + column + " FROM queries";
    sqlite3_stmt* st = nullptr;
    const bool present = sqlite3_prepare_v2(db, probe.c_str(), -1, &st, nullptr) == SQLITE_OK;
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (present) sql(statement);
  }

  std::filesystem::path dir_;
};

JudgmentRecord judgment(const std::string& key, std::optional<bool> correct, const std::string& error = "") {
  JudgmentRecord j;
  j.cache_key = key;
  j.seq = 0;
  j.repeat = 0;
  j.protocol = "pairwise";
  j.judge_model = "judge";
  j.prompt_version = "pairwise-v1";
  j.correct = correct;
  j.verdict = correct ? (*correct ? "A>B" : "B>A") : "";
  j.error = error;
  j.raw_reply = "reply";
  j.input_tokens = 100;
  j.output_tokens = 7;
  j.attempts = 1;
  j.t_utc = "2026-11-25T16:00:00Z";
  return j;
}

TEST_F(JudgeStore, NewStoresHaveAJudgmentsTable) {
  auto store = RunStore::create(dir_.string());
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_GE(kSchemaVersion, 2);
  EXPECT_TRUE(store.judgments().empty());
}

TEST_F(JudgeStore, V1StoreOpensAndIsMigratedInPlace) {
  make_v1_store();
  {
    // Read-only handles (analyze, report) read a v1 store as it is.
    const auto ro = RunStore::open(dir_.string(), /*read_only=*/true);
    EXPECT_EQ(ro.schema_version(), 1);
    EXPECT_TRUE(ro.judgments().empty());
    EXPECT_FALSE(ro.cached_judgment("k").has_value());
    EXPECT_EQ(ro.query_count(), 1u);
  }
  {
    auto rw = RunStore::open(dir_.string());
    EXPECT_EQ(rw.schema_version(), kSchemaVersion);
    rw.add_judgment(judgment("k", true));
    EXPECT_EQ(rw.query_count(), 1u);  // the old data is untouched
  }
  const auto again = RunStore::open(dir_.string(), true);
  EXPECT_EQ(again.schema_version(), kSchemaVersion);
  ASSERT_EQ(again.judgments().size(), 1u);
  EXPECT_EQ(again.judgments()[0].verdict, "A>B");
}

TEST_F(JudgeStore, NewerSchemaIsRefused) {
  { auto store = RunStore::create(dir_.string()); }
  sql("PRAGMA user_version=" + std::to_string(kSchemaVersion + 1) + ";");
  EXPECT_THROW(RunStore::open(dir_.string()), StoreError);
}

TEST_F(JudgeStore, CacheReturnsTheNewestSuccessfulJudgmentOnly) {
  auto store = RunStore::create(dir_.string());
  store.add_judgment(judgment("k", std::nullopt, "http_status: boom (HTTP 503)"));
  EXPECT_FALSE(store.cached_judgment("k").has_value());  // failures are recorded, never cached
  store.add_judgment(judgment("k", false));
  store.add_judgment(judgment("k", true));
  const auto hit = store.cached_judgment("k");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->correct, true);
  EXPECT_EQ(hit->input_tokens, 100);
  EXPECT_FALSE(store.cached_judgment("other").has_value());
  const auto all = store.judgments();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].error, "http_status: boom (HTTP 503)");
  EXPECT_FALSE(all[0].correct.has_value());
  EXPECT_TRUE(all[0].verdict.empty());
}

TEST_F(JudgeStore, UpdateScoresIsAllOrNothing) {
  auto store = RunStore::create(dir_.string());
  const int s = store.begin_session({});
  for (int seq = 0; seq < 2; ++seq) {
    QueryRecord q;
    q.seq = seq;
    q.item_id = "c" + std::to_string(seq);
    q.kind = "chat";
    q.score_method = "none";
    store.commit_query(q, s, {});
  }
  // The second update names no stored query: nothing may change.
  EXPECT_THROW(store.update_scores({{0, 0, 0, true, "judge-pairwise"}, {0, 7, 0, false, "judge-pairwise"}}), StoreError);
  auto qs = store.queries();
  EXPECT_FALSE(qs[0].correct.has_value());
  EXPECT_EQ(qs[0].score_method, "none");

  store.update_scores({{0, 0, 0, true, "judge-pairwise"}, {0, 1, 0, std::nullopt, "judge-failed"}});
  qs = store.queries();
  EXPECT_EQ(qs[0].correct, true);
  EXPECT_EQ(qs[0].score_method, "judge-pairwise");
  EXPECT_FALSE(qs[1].correct.has_value());
  EXPECT_EQ(qs[1].score_method, "judge-failed");
}

}  // namespace
}  // namespace ipw::run
