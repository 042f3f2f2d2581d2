// RunStore::for_each_query: the streaming reader behind analysis at scale.
// Kept apart from store.cpp because it trades generality for speed: one reused
// record, only the requested columns, and a hand-written reader for the token
// time arrays (a JSON parser per row would dominate a million-row scan).
#include <cstdlib>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "ipw/run/store.h"

namespace ipw::run {
namespace {

std::optional<double> opt_double(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}
std::optional<int> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}
void assign_text(std::string& out, const SQLite::Column& c) {
  if (c.isNull()) {
    out.clear();
  } else {
    out.assign(c.getText(), static_cast<std::size_t>(c.getBytes()));
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

}  // namespace

void RunStore::for_each_query(const std::function<void(const QueryRecord&)>& fn,
                              const QueryReadOptions& opts) const {
  // Column order is fixed; texts and token times are selected as NULL when not wanted.
  const std::string sql = fmt::format(
      "SELECT seq, repeat, session, item_id, category, source, kind, correct, score_method, "
      "input_tokens, output_tokens, t_start_ns, t_first_token_ns, t_end_ns, error_kind, "
      "energy_j, prefill_energy_j, decode_energy_j, net_energy_j, peak_power_w, "
      "mean_temperature_c, max_memory_mb, energy_source, energy_flags, server_cpu_s, {}, {} "
      "FROM queries ORDER BY seq, repeat",
      opts.texts ? "prompt, reference, response, extracted, error_message, server_timings_json"
                 : "NULL, NULL, NULL, NULL, NULL, NULL",
      opts.token_times ? "token_times_json" : "NULL");
  SQLite::Statement st(*db_, sql);
  std::optional<SQLite::Statement> de;
  bool de_has_row = false;
  if (opts.domains) {
    de.emplace(*db_,
               "SELECT seq, repeat, domain_idx, energy_j, prefill_energy_j, decode_energy_j, "
               "source, flags, samples FROM query_energy ORDER BY seq, repeat, domain_idx");
    de_has_row = de->executeStep();
  }
  QueryRecord q;
  while (st.executeStep()) {
    int i = 0;
    q.seq = st.getColumn(i++).getInt();
    q.repeat = st.getColumn(i++).getInt();
    q.session = st.getColumn(i++).getInt();
    assign_text(q.item_id, st.getColumn(i++));
    assign_text(q.category, st.getColumn(i++));
    assign_text(q.source, st.getColumn(i++));
    assign_text(q.kind, st.getColumn(i++));
    const auto correct = opt_int(st.getColumn(i++));
    q.correct = correct ? std::optional<bool>(*correct != 0) : std::nullopt;
    assign_text(q.score_method, st.getColumn(i++));
    q.input_tokens = opt_int(st.getColumn(i++));
    q.output_tokens = opt_int(st.getColumn(i++));
    q.t_start_ns = st.getColumn(i++).getInt64();
    q.t_first_token_ns = st.getColumn(i++).getInt64();
    q.t_end_ns = st.getColumn(i++).getInt64();
    assign_text(q.error_kind, st.getColumn(i++));
    q.energy_j = opt_double(st.getColumn(i++));
    q.prefill_energy_j = opt_double(st.getColumn(i++));
    q.decode_energy_j = opt_double(st.getColumn(i++));
    q.net_energy_j = opt_double(st.getColumn(i++));
    q.peak_power_w = opt_double(st.getColumn(i++));
    q.mean_temperature_c = opt_double(st.getColumn(i++));
    q.max_memory_mb = opt_double(st.getColumn(i++));
    assign_text(q.energy_source, st.getColumn(i++));
    q.energy_flags = static_cast<std::uint32_t>(st.getColumn(i++).getInt64());
    q.server_cpu_s = opt_double(st.getColumn(i++));
    assign_text(q.prompt, st.getColumn(i++));
    assign_text(q.reference, st.getColumn(i++));
    assign_text(q.response, st.getColumn(i++));
    assign_text(q.extracted, st.getColumn(i++));
    assign_text(q.error_message, st.getColumn(i++));
    assign_text(q.server_timings_json, st.getColumn(i++));
    const SQLite::Column tt = st.getColumn(i++);
    if (tt.isNull()) {
      q.token_times_ns.clear();
    } else {
      parse_times(tt.getText(), q.token_times_ns);
    }
    q.domains.clear();
    // Both statements are ordered by (seq, repeat): merge, skipping orphans.
    while (de_has_row) {
      const auto key = std::make_pair(de->getColumn(0).getInt(), de->getColumn(1).getInt());
      if (key > std::make_pair(q.seq, q.repeat)) break;
      if (key == std::make_pair(q.seq, q.repeat)) {
        DomainEnergy d;
        d.domain_index = de->getColumn(2).getInt();
        d.energy_j = opt_double(de->getColumn(3));
        d.prefill_energy_j = opt_double(de->getColumn(4));
        d.decode_energy_j = opt_double(de->getColumn(5));
        d.source = de->getColumn(6).isNull() ? std::string() : de->getColumn(6).getString();
        d.flags = static_cast<std::uint32_t>(de->getColumn(7).getInt64());
        d.samples = de->getColumn(8).getInt();
        q.domains.push_back(std::move(d));
      }
      de_has_row = de->executeStep();
    }
    fn(q);
  }
}

}  // namespace ipw::run
