// RunStore::for_each_query: the one reader of stored queries, streaming, behind
// analysis at scale. Kept apart from store.cpp because it trades generality for
// speed: one reused record, only the requested columns, raw sqlite3 access
// (query_columns.cpp reads each column).
#include <cstdlib>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <fmt/format.h>

#include "ipw/run/query_columns.h"
#include "ipw/run/store.h"
#include "ipw/run/store_schema.h"

namespace ipw::run {
namespace {

// Raw sqlite3 column access: SQLiteCpp's Column objects copy a shared_ptr per
// call, which showed up at a few percent of a million-row scan.
bool is_null(sqlite3_stmt* s, int i) { return sqlite3_column_type(s, i) == SQLITE_NULL; }
std::optional<double> opt_double(sqlite3_stmt* s, int i) {
  if (is_null(s, i)) return std::nullopt;
  return sqlite3_column_double(s, i);
}
void assign_text(std::string& out, sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  if (p == nullptr) {
    out.clear();
  } else {
    out.assign(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
  }
}

// A prepared statement on the raw API, finalized on scope exit.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw StoreError(fmt::format("cannot read queries: {}", sqlite3_errmsg(db)));
    }
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  // True while rows remain; throws on a read error (never a silent short read).
  bool step(sqlite3* db) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StoreError(fmt::format("reading queries failed: {}", sqlite3_errmsg(db)));
  }
};

}  // namespace

void RunStore::for_each_query(const std::function<void(const QueryRecord&)>& fn,
                              const QueryReadOptions& opts) const {
  // Every column of the table, in its order: NULL for a part not asked for, the column's
  // default in a store that predates it (opened read-only, so not migrated).
  const auto& columns = query_columns();
  std::string select;
  for (const QueryColumn& c : columns) {
    const bool wanted = c.part == QueryColumn::Part::always || (c.part == QueryColumn::Part::texts && opts.texts) ||
                        (c.part == QueryColumn::Part::token_times && opts.token_times);
    const char* expr = !wanted ? "NULL" : c.absent_as && !has_column(*db_, "queries", c.name) ? c.absent_as : c.name;
    select += fmt::format("{}{}", select.empty() ? "" : ", ", expr);
  }
  sqlite3* db = db_->getHandle();
  Stmt st(db, fmt::format("SELECT {} FROM queries ORDER BY {}", select, key_order()));
  std::optional<Stmt> de;
  bool de_has_row = false;
  if (opts.domains) {
    de.emplace(db, fmt::format("SELECT {} AS stage, seq, repeat, domain_idx, energy_j, prefill_energy_j, decode_energy_j, "
                               "source, flags, samples FROM query_energy ORDER BY stage, seq, repeat, domain_idx",
                               energy_stage_column()));
    de_has_row = de->step(db);
  }
  QueryRecord q;
  while (st.step(db)) {
    for (std::size_t i = 0; i < columns.size(); ++i) columns[i].read(st.s, static_cast<int>(i), q);
    q.domains.clear();
    // Both statements are ordered by (stage, seq, repeat): merge, skipping orphans.
    while (de_has_row) {
      sqlite3_stmt* d_raw = de->s;
      const QueryKey key{sqlite3_column_int(d_raw, 0), sqlite3_column_int(d_raw, 1), sqlite3_column_int(d_raw, 2)};
      if (key > q.key()) break;
      if (key == q.key()) {
        DomainEnergy d;
        d.domain_index = sqlite3_column_int(d_raw, 3);
        d.energy_j = opt_double(d_raw, 4);
        d.prefill_energy_j = opt_double(d_raw, 5);
        d.decode_energy_j = opt_double(d_raw, 6);
        assign_text(d.source, d_raw, 7);
        d.flags = static_cast<std::uint32_t>(sqlite3_column_int64(d_raw, 8));
        d.samples = sqlite3_column_int(d_raw, 9);
        q.domains.push_back(std::move(d));
      }
      de_has_row = de->step(db);
    }
    fn(q);
  }
}

}  // namespace ipw::run
