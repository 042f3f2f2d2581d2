#include "ipw/report/query_export.h"

#include <cmath>

#include <fmt/format.h>

#include "ipw/common/clock.h"
#include "ipw/common/json_null.h"
#include "ipw/inference/server_timings.h"
#include "ipw/metrics/perplexity.h"
#include "ipw/metrics/summary.h"
#include "ipw/telemetry/energy_window.h"

namespace ipw::report {
namespace {

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
      "id", "seq", "repeat", "session", "stage", "task", "turn", "tool_calls", "category", "source", "kind", "correct", "extracted",
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
      {"task", q.task.empty() ? nlohmann::json() : nlohmann::json(q.task)},
      {"turn", json_or_null(q.turn)},
      {"tool_calls", json_or_null(q.tool_calls)},
      {"category", q.category},
      {"source", q.source},
      {"kind", q.kind},
      {"correct", q.correct ? nlohmann::json(*q.correct) : nlohmann::json()},
      {"extracted", q.extracted},
      {"input_tokens", json_or_null(q.input_tokens)},
      {"output_tokens", json_or_null(q.output_tokens)},
      {"reasoning_tokens", json_or_null(q.reasoning_tokens)},
      {"answer_tokens", json_or_null(q.answer_tokens)},
      {"token_source", q.token_source},
      {"finish_reason", q.finish_reason},
      {"truncated", q.finish_reason.empty() ? nlohmann::json() : nlohmann::json(q.truncated())},
      {"queue_s", json_or_null(q.queue_s())},
      {"t_start_s", ns_to_s(q.t_start_ns)},
      {"t_first_token_s", q.t_first_token_ns ? nlohmann::json(ns_to_s(q.t_first_token_ns)) : nlohmann::json()},
      {"t_first_answer_token_s",
       q.t_first_answer_token_ns ? nlohmann::json(ns_to_s(q.t_first_answer_token_ns)) : nlohmann::json()},
      {"t_end_s", ns_to_s(q.t_end_ns)},
      {"ttft_s", json_or_null(q.ttft_s())},
      {"tpot_s", json_or_null(metrics::tpot_s(q))},
      {"latency_s", q.latency_s()},
      {"energy_j", json_or_null(q.energy_j)},
      {"prefill_energy_j", json_or_null(q.prefill_energy_j)},
      {"decode_energy_j", json_or_null(q.decode_energy_j)},
      {"reasoning_energy_j", json_or_null(q.reasoning_energy_j)},
      {"answer_energy_j", json_or_null(q.answer_energy_j)},
      {"net_energy_j", json_or_null(q.net_energy_j)},
      {"power_w", json_or_null(q.power_w())},
      {"peak_power_w", json_or_null(q.peak_power_w)},
      {"energy_source", q.energy_source},
      {"energy_flags", telemetry::flags_to_string(q.energy_flags)},
      {"server_prompt_ms", json_or_null(st.prompt_ms)},
      {"server_predicted_ms", json_or_null(st.predicted_ms)},
      {"server_cache_tokens", json_or_null(st.cache_tokens)},
      {"reference_tokens", json_or_null(q.reference_tokens)},
      {"reference_nll_nats", json_or_null(q.reference_nll_nats)},
      {"perplexity", json_or_null(metrics::perplexity(q))},
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
