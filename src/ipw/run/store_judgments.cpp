// The judge's part of the run store: the `judgments` table (cache and record of
// every judge call) and the transactional rescoring of stored queries.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "ipw/run/query_columns.h"
#include "ipw/run/store.h"
#include "ipw/run/store_schema.h"

namespace ipw::run {

using judge::JudgmentRecord;
namespace {

std::optional<int> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}

constexpr const char* kColumns =
    "cache_key, seq, repeat, protocol, judge_model, prompt_version, verdict, correct, raw_reply, "
    "input_tokens, output_tokens, error, attempts, t_utc";

JudgmentRecord read_row(SQLite::Statement& st) {
  JudgmentRecord j;
  int i = 0;
  j.cache_key = column_text(st.getColumn(i++));
  j.seq = st.getColumn(i++).getInt();
  j.repeat = st.getColumn(i++).getInt();
  j.protocol = column_text(st.getColumn(i++));
  j.judge_model = column_text(st.getColumn(i++));
  j.prompt_version = column_text(st.getColumn(i++));
  j.verdict = column_text(st.getColumn(i++));
  if (const auto c = opt_int(st.getColumn(i++))) j.correct = *c != 0;
  j.raw_reply = column_text(st.getColumn(i++));
  j.input_tokens = opt_int(st.getColumn(i++));
  j.output_tokens = opt_int(st.getColumn(i++));
  j.error = column_text(st.getColumn(i++));
  j.attempts = st.getColumn(i++).getInt();
  j.t_utc = column_text(st.getColumn(i++));
  j.stage = st.getColumn(i++).getInt();
  return j;
}

}  // namespace

// The SELECT list: kColumns and the stage (0 in a store from before schema 5, read as it is).
std::string RunStore::judgment_columns() const {
  return fmt::format("{}, {}", kColumns, has_column(*db_, "judgments", "stage") ? "stage" : "0");
}

int RunStore::schema_version() const { return db_->execAndGet("PRAGMA user_version").getInt(); }

bool RunStore::has_judgments_table() const { return db_->tableExists("judgments"); }

std::optional<JudgmentRecord> RunStore::cached_judgment(const std::string& cache_key) const {
  if (!has_judgments_table()) return std::nullopt;
  SQLite::Statement st(*db_, fmt::format("SELECT {} FROM judgments WHERE cache_key = ? AND correct IS NOT NULL "
                                         "AND (error IS NULL OR error = '') ORDER BY id DESC LIMIT 1",
                                         judgment_columns()));
  st.bind(1, cache_key);
  if (!st.executeStep()) return std::nullopt;
  return read_row(st);
}

void RunStore::add_judgment(const JudgmentRecord& j) {
  if (!has_judgments_table()) {
    throw StoreError(fmt::format("{}: the run store has no judgments table (opened read-only?)", dir_));
  }
  SQLite::Statement st(*db_, fmt::format("INSERT INTO judgments ({}, stage) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                         kColumns));
  int i = 1;
  st.bind(i++, j.cache_key);
  st.bind(i++, j.seq);
  st.bind(i++, j.repeat);
  st.bind(i++, j.protocol);
  st.bind(i++, j.judge_model);
  st.bind(i++, j.prompt_version);
  if (j.verdict.empty()) {
    st.bind(i++);
  } else {
    st.bind(i++, j.verdict);
  }
  if (j.correct) {
    st.bind(i++, *j.correct ? 1 : 0);
  } else {
    st.bind(i++);
  }
  st.bind(i++, j.raw_reply);
  bind_opt(st, i++, j.input_tokens);
  bind_opt(st, i++, j.output_tokens);
  if (j.error.empty()) {
    st.bind(i++);
  } else {
    st.bind(i++, j.error);
  }
  st.bind(i++, j.attempts);
  st.bind(i++, j.t_utc);
  st.bind(i++, j.stage);
  st.exec();
}

std::vector<JudgmentRecord> RunStore::judgments() const {
  std::vector<JudgmentRecord> out;
  if (!has_judgments_table()) return out;
  SQLite::Statement st(*db_, fmt::format("SELECT {} FROM judgments ORDER BY id", judgment_columns()));
  while (st.executeStep()) out.push_back(read_row(st));
  return out;
}

void RunStore::update_scores(const std::vector<ScoreUpdate>& updates) {
  SQLite::Transaction tx(*db_);
  SQLite::Statement st(*db_, "UPDATE queries SET correct = ?, score_method = ? WHERE stage = ? AND seq = ? AND repeat = ?");
  for (const auto& u : updates) {
    if (u.correct) {
      st.bind(1, *u.correct ? 1 : 0);
    } else {
      st.bind(1);
    }
    st.bind(2, u.score_method);
    st.bind(3, u.stage);
    st.bind(4, u.seq);
    st.bind(5, u.repeat);
    st.exec();
    if (db_->getChanges() != 1) {
      throw StoreError(fmt::format("{}: no stored query (stage {}, seq {}, repeat {}) to rescore", dir_, u.stage,
                                   u.seq, u.repeat));
    }
    st.reset();
  }
  tx.commit();
}

}  // namespace ipw::run
