// RunStore::import_run: another run's rows copied in by SQLite itself (ATTACH and
// INSERT … SELECT), for `ipw merge`. Parsing every row into a QueryRecord and binding
// it back was 21 s of CPU for a million queries; the copy inside SQLite is a fraction.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include "ipw/run/query_columns.h"
#include "ipw/run/store.h"
#include "ipw/run/store_schema.h"

namespace ipw::run {
namespace {

// `column` mapped through `map`: CASE column WHEN old THEN new … END. An id missing from
// the map reads NULL, which the NOT NULL columns refuse: a wrong map fails loudly.
std::string mapped(const char* column, const std::map<int, int>& map) {
  std::string whens;
  for (const auto& [from, to] : map) whens += fmt::format(" WHEN {} THEN {}", from, to);
  return map.empty() ? std::string("NULL") : fmt::format("CASE {}{} END", column, whens);
}

bool src_has(SQLite::Database& db, const char* table, const char* column) {
  SQLite::Statement st(db, "SELECT 1 FROM pragma_table_info(?, 'src') WHERE name = ?");
  st.bind(1, table);
  st.bind(2, column);
  return st.executeStep();
}

bool src_has_table(SQLite::Database& db, const char* table) {
  SQLite::Statement st(db, "SELECT 1 FROM src.sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, table);
  return st.executeStep();
}

// Rows of the last statement.
std::size_t changes(SQLite::Database& db) { return static_cast<std::size_t>(sqlite3_changes(db.getHandle())); }

int stop_requested(void* flag) { return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0; }

}  // namespace

std::optional<RunStore::ImportCounts> RunStore::import_run(const std::string& dir, const std::map<int, int>& sessions,
                                                           const std::map<int, int>& domains,
                                                           const std::atomic<bool>& stop) {
  SQLite::Database& db = *db_;
  {
    SQLite::Statement attach(db, "ATTACH DATABASE ? AS src");
    attach.bind(1, (std::filesystem::path(dir) / "run.db").string());
    attach.exec();
  }
  // SQLite asks every 10,000 steps whether to go on: Ctrl-C interrupts the copy, rolled back.
  sqlite3_progress_handler(db.getHandle(), 10000, stop_requested, const_cast<std::atomic<bool>*>(&stop));
  ImportCounts counts;
  bool interrupted = false;
  try {
    SQLite::Transaction tx(db);
    std::vector<std::string> names, exprs;
    for (const QueryColumn& c : query_columns()) {
      names.emplace_back(c.name);
      if (std::string(c.name) == "session") {
        exprs.push_back(mapped("session", sessions));
      } else {
        exprs.emplace_back(src_has(db, "queries", c.name) ? c.name : c.absent_as ? c.absent_as : "NULL");
      }
    }
    db.exec(fmt::format("INSERT INTO queries ({}) SELECT {} FROM src.queries", fmt::join(names, ", "),
                        fmt::join(exprs, ", ")));
    counts.queries = changes(db);
    db.exec(fmt::format("INSERT INTO query_energy (stage, seq, repeat, domain_idx, energy_j, prefill_energy_j, "
                        "decode_energy_j, source, flags, samples) SELECT {}, seq, repeat, {}, energy_j, "
                        "prefill_energy_j, decode_energy_j, source, flags, samples FROM src.query_energy",
                        src_has(db, "query_energy", "stage") ? "stage" : "0", mapped("domain_idx", domains)));
    db.exec(fmt::format("INSERT INTO samples (session, t_ns, domain_idx, energy_j, power_w, temperature_c, memory_mb) "
                        "SELECT {}, t_ns, {}, energy_j, power_w, temperature_c, memory_mb FROM src.samples",
                        mapped("session", sessions), mapped("domain_idx", domains)));
    counts.samples = changes(db);
    if (src_has_table(db, "judgments")) {
      db.exec(fmt::format("INSERT INTO judgments (cache_key, seq, repeat, protocol, judge_model, prompt_version, "
                          "verdict, correct, raw_reply, input_tokens, output_tokens, error, attempts, t_utc, stage) "
                          "SELECT cache_key, seq, repeat, protocol, judge_model, prompt_version, verdict, correct, "
                          "raw_reply, input_tokens, output_tokens, error, attempts, t_utc, {} FROM src.judgments",
                          src_has(db, "judgments", "stage") ? "stage" : "0"));
      counts.judgments = changes(db);
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() != SQLITE_INTERRUPT) {
      sqlite3_progress_handler(db.getHandle(), 0, nullptr, nullptr);
      db.exec("DETACH DATABASE src");
      throw StoreError(fmt::format("cannot copy the run {} into {}: {}", dir, dir_, e.what()));
    }
    interrupted = true;
  }
  sqlite3_progress_handler(db.getHandle(), 0, nullptr, nullptr);
  db.exec("DETACH DATABASE src");
  if (interrupted) return std::nullopt;
  return counts;
}

}  // namespace ipw::run
