#include "ipw/run/query_columns.h"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/run/store.h"

namespace ipw::run {
namespace {

using Part = QueryColumn::Part;

bool is_null(sqlite3_stmt* s, int i) { return sqlite3_column_type(s, i) == SQLITE_NULL; }

// Parses "[1,2,3]" (what the insert writes) into `out`; throws on anything else. Hand-written:
// a JSON parser per row would dominate a million-row scan.
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

// One column per field type: the member it stores, by pointer.
template <int QueryRecord::*F>
QueryColumn int_col(const char* name, const char* absent_as = nullptr) {
  return {name, Part::always, absent_as, [](SQLite::Statement& st, int i, const QueryRecord& q) { st.bind(i, q.*F); },
          [](sqlite3_stmt* s, int i, QueryRecord& q) { q.*F = sqlite3_column_int(s, i); }};
}

template <std::int64_t QueryRecord::*F>
QueryColumn int64_col(const char* name, const char* absent_as = nullptr) {
  return {name, Part::always, absent_as,
          [](SQLite::Statement& st, int i, const QueryRecord& q) { st.bind(i, static_cast<int64_t>(q.*F)); },
          [](sqlite3_stmt* s, int i, QueryRecord& q) { q.*F = sqlite3_column_int64(s, i); }};
}

template <std::string QueryRecord::*F>
QueryColumn text_col(const char* name, Part part = Part::always, const char* absent_as = nullptr) {
  return {name, part, absent_as, [](SQLite::Statement& st, int i, const QueryRecord& q) { st.bind(i, q.*F); },
          [](sqlite3_stmt* s, int i, QueryRecord& q) {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
            if (p == nullptr) {
              (q.*F).clear();
            } else {
              (q.*F).assign(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
            }
          }};
}

template <std::optional<double> QueryRecord::*F>
QueryColumn real_col(const char* name, const char* absent_as = nullptr) {
  return {name, Part::always, absent_as,
          [](SQLite::Statement& st, int i, const QueryRecord& q) { bind_opt(st, i, q.*F); },
          [](sqlite3_stmt* s, int i, QueryRecord& q) {
            q.*F = is_null(s, i) ? std::nullopt : std::optional<double>(sqlite3_column_double(s, i));
          }};
}

template <std::optional<int> QueryRecord::*F>
QueryColumn opt_int_col(const char* name, const char* absent_as = nullptr) {
  return {name, Part::always, absent_as,
          [](SQLite::Statement& st, int i, const QueryRecord& q) { bind_opt(st, i, q.*F); },
          [](sqlite3_stmt* s, int i, QueryRecord& q) {
            q.*F = is_null(s, i) ? std::nullopt : std::optional<int>(sqlite3_column_int(s, i));
          }};
}

std::vector<QueryColumn> make_columns() {
  using Q = QueryRecord;
  return {
      int_col<&Q::seq>("seq"),
      int_col<&Q::repeat>("repeat"),
      int_col<&Q::session>("session"),
      text_col<&Q::item_id>("item_id"),
      text_col<&Q::category>("category"),
      text_col<&Q::source>("source"),
      text_col<&Q::kind>("kind"),
      text_col<&Q::prompt>("prompt", Part::texts),
      text_col<&Q::reference>("reference", Part::texts),
      text_col<&Q::response>("response", Part::texts),
      text_col<&Q::extracted>("extracted", Part::texts),
      {"correct", Part::always, nullptr,
       [](SQLite::Statement& st, int i, const Q& q) {
         if (q.correct) {
           st.bind(i, *q.correct ? 1 : 0);
         } else {
           st.bind(i);
         }
       },
       [](sqlite3_stmt* s, int i, Q& q) {
         q.correct = is_null(s, i) ? std::nullopt : std::optional<bool>(sqlite3_column_int(s, i) != 0);
       }},
      text_col<&Q::score_method>("score_method"),
      opt_int_col<&Q::input_tokens>("input_tokens"),
      opt_int_col<&Q::output_tokens>("output_tokens"),
      int64_col<&Q::t_start_ns>("t_start_ns"),
      int64_col<&Q::t_first_token_ns>("t_first_token_ns"),
      int64_col<&Q::t_end_ns>("t_end_ns"),
      {"token_times_json", Part::token_times, nullptr,
       [](SQLite::Statement& st, int i, const Q& q) { st.bind(i, nlohmann::json(q.token_times_ns).dump()); },
       [](sqlite3_stmt* s, int i, Q& q) {
         const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
         if (p == nullptr) {
           q.token_times_ns.clear();
         } else {
           parse_times(p, q.token_times_ns);
         }
       }},
      text_col<&Q::error_kind>("error_kind"),
      text_col<&Q::error_message>("error_message", Part::texts),
      real_col<&Q::energy_j>("energy_j"),
      real_col<&Q::prefill_energy_j>("prefill_energy_j"),
      real_col<&Q::decode_energy_j>("decode_energy_j"),
      real_col<&Q::net_energy_j>("net_energy_j"),
      real_col<&Q::peak_power_w>("peak_power_w"),
      real_col<&Q::mean_temperature_c>("mean_temperature_c"),
      real_col<&Q::max_memory_mb>("max_memory_mb"),
      text_col<&Q::energy_source>("energy_source"),
      {"energy_flags", Part::always, nullptr,
       [](SQLite::Statement& st, int i, const Q& q) { st.bind(i, static_cast<int64_t>(q.energy_flags)); },
       [](sqlite3_stmt* s, int i, Q& q) { q.energy_flags = static_cast<std::uint32_t>(sqlite3_column_int64(s, i)); }},
      text_col<&Q::server_timings_json>("server_timings_json", Part::texts),
      real_col<&Q::server_cpu_s>("server_cpu_s"),
      // Added by later schema versions (store_schema.cpp); older stores read the default.
      real_col<&Q::reference_nll_nats>("reference_nll_nats", "NULL"),
      opt_int_col<&Q::reference_tokens>("reference_tokens", "NULL"),
      int_col<&Q::stage>("stage", "0"),
      {"queue_ns", Part::always, "NULL",
       [](SQLite::Statement& st, int i, const Q& q) { bind_opt(st, i, q.queue_ns); },
       [](sqlite3_stmt* s, int i, Q& q) {
         q.queue_ns = is_null(s, i) ? std::nullopt : std::optional<std::int64_t>(sqlite3_column_int64(s, i));
       }},
      int_col<&Q::attempts>("attempts", "1"),
      text_col<&Q::finish_reason>("finish_reason", Part::always, "NULL"),
      text_col<&Q::reasoning>("reasoning", Part::texts, "NULL"),
      text_col<&Q::token_source>("token_source", Part::always, "NULL"),
      opt_int_col<&Q::reasoning_tokens>("reasoning_tokens", "NULL"),
      opt_int_col<&Q::answer_tokens>("answer_tokens", "NULL"),
      int64_col<&Q::t_first_answer_token_ns>("t_first_answer_token_ns", "0"),
      real_col<&Q::reasoning_energy_j>("reasoning_energy_j", "NULL"),
      real_col<&Q::answer_energy_j>("answer_energy_j", "NULL"),
      text_col<&Q::task>("task", Part::always, "NULL"),
      opt_int_col<&Q::turn>("turn", "NULL"),
      opt_int_col<&Q::tool_calls>("tool_calls", "NULL"),
  };
}

}  // namespace

const std::vector<QueryColumn>& query_columns() {
  static const std::vector<QueryColumn> columns = make_columns();
  return columns;
}

}  // namespace ipw::run
