// RunStore::for_each_query: the streaming reader behind analysis at scale.
// Kept apart from store.cpp because it trades generality for speed: one reused
// record, only the requested columns, and a hand-written reader for the token
// time arrays (a JSON parser per row would dominate a million-row scan).
#include <cstdlib>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <fmt/format.h>

#include "ipw/run/store.h"

namespace ipw::run {
namespace {

// Raw sqlite3 column access: SQLiteCpp's Column objects copy a shared_ptr per
// call, which showed up at a few percent of a million-row scan.
bool is_null(sqlite3_stmt* s, int i) { return sqlite3_column_type(s, i) == SQLITE_NULL; }
std::optional<double> opt_double(sqlite3_stmt* s, int i) {
  if (is_null(s, i)) return std::nullopt;
  return sqlite3_column_double(s, i);
}
std::optional<int> opt_int(sqlite3_stmt* s, int i) {
  if (is_null(s, i)) return std::nullopt;
  return sqlite3_column_int(s, i);
}
void assign_text(std::string& out, sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  if (p == nullptr) {
    out.clear();
  } else {
    out.assign(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
  }
}

// Parses "[1,2,3]" (what commit_query writes) into `out`; throws on anything else.
void parse_times(const char* s, std::vector<std::int64_t>& out) {
  out.clear();
  const char* p = s;
  while (*p == ' ') ++p;
  if (*p != '[') throw StoreError(fmt::format("malformed token_times_json: {:.40}", s));
  ++p;
  while (true) {
    while (*p == ' ' || *p == ',') ++p;
    if (*p == ']') return;
    char* end = nullptr;
    const long long v = std::strtoll(p, &end, 10);
    if (end == p) throw StoreError(fmt::format("malformed token_times_json: {:.40}", s));
    out.push_back(v);
    p = end;
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
  // Column order is fixed; texts and token times are selected as NULL when not wanted.
  const std::string sql = fmt::format(
      "SELECT seq, repeat, session, item_id, category, source, kind, correct, score_method, "
      "input_tokens, output_tokens, t_start_ns, t_first_token_ns, t_end_ns, error_kind, "
      "energy_j, prefill_energy_j, decode_energy_j, net_energy_j, peak_power_w, "
      "mean_temperature_c, max_memory_mb, energy_source, energy_flags, server_cpu_s, {}, {}, {}, {} "
      "FROM queries ORDER BY {}",
      reference_columns(), load_columns(),
      opts.texts ? "prompt, reference, response, extracted, error_message, server_timings_json"
                 : "NULL, NULL, NULL, NULL, NULL, NULL",
      opts.token_times ? "token_times_json" : "NULL", key_order());
  sqlite3* db = db_->getHandle();
  Stmt st(db, sql);
  std::optional<Stmt> de;
  bool de_has_row = false;
  if (opts.domains) {
    de.emplace(db, fmt::format("SELECT {} AS stage, seq, repeat, domain_idx, energy_j, prefill_energy_j, decode_energy_j, "
                               "source, flags, samples FROM query_energy ORDER BY stage, seq, repeat, domain_idx",
                               energy_stage_column()));
    de_has_row = de->step(db);
  }
  QueryRecord q;
  sqlite3_stmt* r = st.s;
  while (st.step(db)) {
    int i = 0;
    q.seq = sqlite3_column_int(r, i++);
    q.repeat = sqlite3_column_int(r, i++);
    q.session = sqlite3_column_int(r, i++);
    assign_text(q.item_id, r, i++);
    assign_text(q.category, r, i++);
    assign_text(q.source, r, i++);
    assign_text(q.kind, r, i++);
    const auto correct = opt_int(r, i++);
    q.correct = correct ? std::optional<bool>(*correct != 0) : std::nullopt;
    assign_text(q.score_method, r, i++);
    q.input_tokens = opt_int(r, i++);
    q.output_tokens = opt_int(r, i++);
    q.t_start_ns = sqlite3_column_int64(r, i++);
    q.t_first_token_ns = sqlite3_column_int64(r, i++);
    q.t_end_ns = sqlite3_column_int64(r, i++);
    assign_text(q.error_kind, r, i++);
    q.energy_j = opt_double(r, i++);
    q.prefill_energy_j = opt_double(r, i++);
    q.decode_energy_j = opt_double(r, i++);
    q.net_energy_j = opt_double(r, i++);
    q.peak_power_w = opt_double(r, i++);
    q.mean_temperature_c = opt_double(r, i++);
    q.max_memory_mb = opt_double(r, i++);
    assign_text(q.energy_source, r, i++);
    q.energy_flags = static_cast<std::uint32_t>(sqlite3_column_int64(r, i++));
    q.server_cpu_s = opt_double(r, i++);
    q.reference_nll_nats = opt_double(r, i++);
    q.reference_tokens = opt_int(r, i++);
    q.stage = sqlite3_column_int(r, i++);
    const auto queue_ns = sqlite3_column_type(r, i) == SQLITE_NULL ? std::nullopt
                                                                    : std::optional<std::int64_t>(sqlite3_column_int64(r, i));
    q.queue_ns = queue_ns;
    ++i;
    q.attempts = sqlite3_column_int(r, i++);
    assign_text(q.prompt, r, i++);
    assign_text(q.reference, r, i++);
    assign_text(q.response, r, i++);
    assign_text(q.extracted, r, i++);
    assign_text(q.error_message, r, i++);
    assign_text(q.server_timings_json, r, i++);
    const auto* tt = reinterpret_cast<const char*>(sqlite3_column_text(r, i++));
    if (tt == nullptr) {
      q.token_times_ns.clear();
    } else {
      parse_times(tt, q.token_times_ns);
    }
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
