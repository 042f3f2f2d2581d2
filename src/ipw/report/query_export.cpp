#include "ipw/report/query_export.h"

#include <cmath>

#include <fmt/format.h>

#include "ipw/inference/server_timings.h"
#include "ipw/metrics/perplexity.h"
#include "ipw/metrics/summary.h"
#include "ipw/telemetry/energy_window.h"

namespace ipw::report {
namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
nlohmann::json opt(const std::optional<int>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
double secs(std::int64_t ns) { return static_cast<double>(ns) * 1e-9; }

std::string csv_field(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) return fmt::format("{:.9g}", v.get<double>());
  if (v.is_number()) return v.dump();
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

const std::vector<std::string>& export_columns() {
  static const std::vector<std::string> cols = {
      "id", "seq", "repeat", "session", "stage", "category", "source", "kind", "correct", "extracted",
      "input_tokens", "output_tokens", "reasoning_tokens", "answer_tokens", "token_source", "finish_reason",
      "truncated", "queue_s", "t_start_s", "t_first_token_s", "t_first_answer_token_s", "t_end_s", "ttft_s",
      "tpot_s", "latency_s", "energy_j", "prefill_energy_j", "decode_energy_j", "reasoning_energy_j",
      "answer_energy_j", "net_energy_j",
      "power_w", "peak_power_w", "energy_source", "energy_flags", "server_prompt_ms",
      "server_predicted_ms", "server_cache_tokens", "reference_tokens", "reference_nll_nats",
      "perplexity", "attempts", "error_kind", "error", "response", "reasoning"};
  return cols;
}

nlohmann::json export_row(const run::QueryRecord& q) {
  const inference::ServerTimings st = inference::parse_server_timings(q.server_timings_json);
  return {
      {"id", q.item_id},
      {"seq", q.seq},
      {"repeat", q.repeat},
      {"session", q.session},
      {"stage", q.stage},
      {"category", q.category},
      {"source", q.source},
      {"kind", q.kind},
      {"correct", q.correct ? nlohmann::json(*q.correct) : nlohmann::json()},
      {"extracted", q.extracted},
      {"input_tokens", opt(q.input_tokens)},
      {"output_tokens", opt(q.output_tokens)},
      {"reasoning_tokens", opt(q.reasoning_tokens)},
      {"answer_tokens", opt(q.answer_tokens)},
      {"token_source", q.token_source},
      {"finish_reason", q.finish_reason},
      {"truncated", q.finish_reason.empty() ? nlohmann::json() : nlohmann::json(q.truncated())},
      {"queue_s", opt(q.queue_s())},
      {"t_start_s", secs(q.t_start_ns)},
      {"t_first_token_s", q.t_first_token_ns ? nlohmann::json(secs(q.t_first_token_ns)) : nlohmann::json()},
      {"t_first_answer_token_s",
       q.t_first_answer_token_ns ? nlohmann::json(secs(q.t_first_answer_token_ns)) : nlohmann::json()},
      {"t_end_s", secs(q.t_end_ns)},
      {"ttft_s", opt(q.ttft_s())},
      {"tpot_s", opt(metrics::tpot_s(q))},
      {"latency_s", q.latency_s()},
      {"energy_j", opt(q.energy_j)},
      {"prefill_energy_j", opt(q.prefill_energy_j)},
      {"decode_energy_j", opt(q.decode_energy_j)},
      {"reasoning_energy_j", opt(q.reasoning_energy_j)},
      {"answer_energy_j", opt(q.answer_energy_j)},
      {"net_energy_j", opt(q.net_energy_j)},
      {"power_w", opt(q.power_w())},
      {"peak_power_w", opt(q.peak_power_w)},
      {"energy_source", q.energy_source},
      {"energy_flags", telemetry::flags_to_string(q.energy_flags)},
      {"server_prompt_ms", opt(st.prompt_ms)},
      {"server_predicted_ms", opt(st.predicted_ms)},
      {"server_cache_tokens", opt(st.cache_tokens)},
      {"reference_tokens", opt(q.reference_tokens)},
      {"reference_nll_nats", opt(q.reference_nll_nats)},
      {"perplexity", opt(metrics::perplexity(q))},
      {"attempts", q.attempts},
      {"error_kind", q.error_kind},
      {"error", q.error_message},
      {"response", q.response},
      {"reasoning", q.reasoning},
  };
}

namespace {
run::RunStore::QueryReadOptions export_read_options() {
  run::RunStore::QueryReadOptions o;
  o.texts = true;  // response, extracted, error message, server timings
  return o;
}
}  // namespace

void write_jsonl(const run::RunStore& store, std::ostream& out) {
  store.for_each_query([&](const run::QueryRecord& q) { out << export_row(q).dump() << '\n'; },
                       export_read_options());
}

void write_csv(const run::RunStore& store, std::ostream& out) {
  const auto& cols = export_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << '\n';
  store.for_each_query(
      [&](const run::QueryRecord& q) {
        const nlohmann::json row = export_row(q);
        for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_field(row[cols[i]]);
        out << '\n';
      },
      export_read_options());
}

}  // namespace ipw::report
