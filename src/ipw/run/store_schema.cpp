#include "ipw/run/store_schema.h"

#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ipw/run/store.h"

namespace ipw::run {
namespace {

// Why this shape: queries are rows keyed by their workload position and repeat,
// so resume is a set difference; per-domain energies and samples are separate
// tables because their count varies by machine; the manifest is one JSON
// document because its content grows with every collector and engine and is
// read whole. Times are ns since the owning session's origin.
//
// Schema 1. A new store is made by this text and then every migration below, so
// new and migrated stores cannot drift apart.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE manifest (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE domains (
  idx INTEGER PRIMARY KEY, domain TEXT NOT NULL, device TEXT, kind TEXT,
  source TEXT NOT NULL, wrap_j REAL, period_ns INTEGER);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, started_utc TEXT, t0_monotonic_ns INTEGER, command_line TEXT,
  status TEXT, idle_json TEXT, totals_json TEXT);
CREATE TABLE queries (
  seq INTEGER NOT NULL, repeat INTEGER NOT NULL, session INTEGER NOT NULL,
  item_id TEXT NOT NULL, category TEXT, source TEXT, kind TEXT,
  prompt TEXT, reference TEXT, response TEXT, extracted TEXT,
  correct INTEGER, score_method TEXT, input_tokens INTEGER, output_tokens INTEGER,
  t_start_ns INTEGER, t_first_token_ns INTEGER, t_end_ns INTEGER, token_times_json TEXT,
  error_kind TEXT, error_message TEXT,
  energy_j REAL, prefill_energy_j REAL, decode_energy_j REAL, net_energy_j REAL,
  peak_power_w REAL, mean_temperature_c REAL, max_memory_mb REAL,
  energy_source TEXT, energy_flags INTEGER, server_timings_json TEXT, server_cpu_s REAL,
  PRIMARY KEY (seq, repeat));
CREATE TABLE query_energy (
  seq INTEGER NOT NULL, repeat INTEGER NOT NULL, domain_idx INTEGER NOT NULL,
  energy_j REAL, prefill_energy_j REAL, decode_energy_j REAL, source TEXT,
  flags INTEGER, samples INTEGER, PRIMARY KEY (seq, repeat, domain_idx));
CREATE TABLE samples (
  session INTEGER NOT NULL, t_ns INTEGER NOT NULL, domain_idx INTEGER NOT NULL,
  energy_j REAL, power_w REAL, temperature_c REAL, memory_mb REAL);
CREATE INDEX samples_by_time ON samples (session, t_ns);
)sql";

// Schema 2. One row per judge call series (failures too, so they are counted); the
// newest successful row per cache_key is the cache entry.
constexpr const char* kJudgmentsTable = R"sql(
CREATE TABLE IF NOT EXISTS judgments (
  id INTEGER PRIMARY KEY, cache_key TEXT NOT NULL, seq INTEGER, repeat INTEGER,
  protocol TEXT NOT NULL, judge_model TEXT NOT NULL, prompt_version TEXT NOT NULL,
  verdict TEXT, correct INTEGER, raw_reply TEXT, input_tokens INTEGER, output_tokens INTEGER,
  error TEXT, attempts INTEGER, t_utc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS judgments_by_key ON judgments (cache_key);
)sql";

// Schema 3: the reference answer's score under the model (--perplexity), nullable.
constexpr const char* kReferenceColumns =
    "ALTER TABLE queries ADD COLUMN reference_nll_nats REAL;"
    "ALTER TABLE queries ADD COLUMN reference_tokens INTEGER;";

// Schema 4: load runs (docs/load.md). The stage a query ran in (0 for a run
// without stages) and how long an open-loop arrival waited for a free slot.
constexpr const char* kLoadColumns =
    "ALTER TABLE queries ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE queries ADD COLUMN queue_ns INTEGER;";

// Schema 7: why each reply ended, its thinking, the reasoning/answer split of its
// tokens and decode energy (docs/analysis.md, "Reasoning and truncation").
constexpr const char* kReasoningColumns =
    "ALTER TABLE queries ADD COLUMN finish_reason TEXT;"
    "ALTER TABLE queries ADD COLUMN reasoning TEXT;"
    "ALTER TABLE queries ADD COLUMN token_source TEXT;"
    "ALTER TABLE queries ADD COLUMN reasoning_tokens INTEGER;"
    "ALTER TABLE queries ADD COLUMN answer_tokens INTEGER;"
    "ALTER TABLE queries ADD COLUMN t_first_answer_token_ns INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE queries ADD COLUMN reasoning_energy_j REAL;"
    "ALTER TABLE queries ADD COLUMN answer_energy_j REAL;";

// Schema 8: requests recorded by `ipw proxy` (docs/agents.md): the task a request
// belongs to, its turn in that task (1, 2, …) and the tool calls its reply asked for.
constexpr const char* kTaskColumns =
    "ALTER TABLE queries ADD COLUMN task TEXT;"
    "ALTER TABLE queries ADD COLUMN turn INTEGER;"
    "ALTER TABLE queries ADD COLUMN tool_calls INTEGER;";

// Remakes `table` with the same columns and a new primary key: SQLite cannot
// change a key in place. The column definitions are read from the table itself,
// so the migration never restates (and never drifts from) the schema above.
constexpr const char* kTasksTable = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  task TEXT PRIMARY KEY, between_energy_j REAL, success INTEGER, score REAL);
)sql";

void rekey(SQLite::Database& db, const std::string& table, const std::string& key) {
  std::vector<std::string> defs, names;
  SQLite::Statement st(db, fmt::format("SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('{}') "
                                       "ORDER BY cid", table));
  while (st.executeStep()) {
    const std::string name = st.getColumn(0).getString();
    std::string def = fmt::format("{} {}", name, st.getColumn(1).getString());
    if (st.getColumn(2).getInt() != 0) def += " NOT NULL";
    if (!st.getColumn(3).isNull()) def += " DEFAULT " + st.getColumn(3).getString();
    defs.push_back(std::move(def));
    names.push_back(name);
  }
  const std::string cols = fmt::format("{}", fmt::join(names, ", "));
  db.exec(fmt::format("ALTER TABLE {0} RENAME TO {0}_old", table));
  db.exec(fmt::format("CREATE TABLE {} ({}, PRIMARY KEY ({}))", table, fmt::join(defs, ", "), key));
  db.exec(fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM {0}_old", table, cols));
  db.exec(fmt::format("DROP TABLE {}_old", table));
}

// Schema 5: a --sweep runs the workload once per stage, so the stage joins the
// key of queries and query_energy (and judgments record it, below).
void add_stage_to_keys(SQLite::Database& db) {
  db.exec("ALTER TABLE query_energy ADD COLUMN stage INTEGER NOT NULL DEFAULT 0");
  rekey(db, "queries", "stage, seq, repeat");
  rekey(db, "query_energy", "stage, seq, repeat, domain_idx");
}

}  // namespace

bool has_column(SQLite::Database& db, const char* table, const char* column) {
  SQLite::Statement st(db, fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name = ?", table));
  st.bind(1, column);
  return st.executeStep();
}

void create_schema(SQLite::Database& db) {
  db.exec(kSchemaV1);
  migrate_schema(db);
}

void migrate_schema(SQLite::Database& db) {
  db.exec(kJudgmentsTable);
  if (!has_column(db, "queries", "reference_nll_nats")) db.exec(kReferenceColumns);
  if (!has_column(db, "queries", "stage")) db.exec(kLoadColumns);
  if (!has_column(db, "query_energy", "stage")) add_stage_to_keys(db);
  if (!has_column(db, "judgments", "stage")) db.exec("ALTER TABLE judgments ADD COLUMN stage INTEGER");
  // Schema 6: how many times each query was sent (retries, docs/reliability.md).
  if (!has_column(db, "queries", "attempts")) {
    db.exec("ALTER TABLE queries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1");
  }
  // Schema 7: reasoning models and why replies ended (docs/analysis.md).
  if (!has_column(db, "queries", "finish_reason")) db.exec(kReasoningColumns);
  if (!has_column(db, "queries", "task")) db.exec(kTaskColumns);
  db.exec(kTasksTable);
  db.exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
}

std::string column_text(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

}  // namespace ipw::run
