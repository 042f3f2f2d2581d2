#include "ipw/metrics/stages.h"

#include <algorithm>

namespace ipw::metrics {
namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

// Σ over the domains of one stored figure ({"gpu0": J, …}); empty when any is null.
std::optional<double> domain_sum(const nlohmann::json& per_domain) {
  if (!per_domain.is_object() || per_domain.empty()) return std::nullopt;
  double total = 0;
  for (const auto& [name, v] : per_domain.items()) {
    if (!v.is_number()) return std::nullopt;
    total += v.get<double>();
  }
  return total;
}

std::optional<double> sum_parts(std::optional<double> a, std::optional<double> b, bool first) {
  if (first) return b;
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

}  // namespace

void StageMetricsBuilder::add(const run::QueryRecord& q) {
  Acc& a = stages_[q.stage];
  if (per_stage_queries_) a.summary.add(q);
  if (q.queue_ns) a.queue_s.push_back(static_cast<double>(*q.queue_ns) * 1e-9);
  if (q.output_tokens) a.output_tokens += *q.output_tokens;
  ++a.finished;
}

std::vector<StageMetrics> StageMetricsBuilder::finish(const std::vector<run::SessionInfo>& sessions) const {
  std::map<int, StageMetrics> out;
  std::map<int, double> in_flight_s;
  for (const auto& session : sessions) {
    if (!session.totals.contains("stages")) continue;
    for (const auto& part : session.totals["stages"]) {
      const int stage = part.value("stage", 0);
      StageMetrics& m = out[stage];
      const bool first = m.sessions == 0;
      m.stage = stage;
      m.setting = part.value("setting", nlohmann::json::object());
      m.attribution = part.value("attribution", "");
      const double d = static_cast<double>(part.value("t_end_ns", std::int64_t{0}) - part.value("t_start_ns", std::int64_t{0})) * 1e-9;
      m.duration_s += d;
      in_flight_s[stage] += part.value("mean_in_flight", 0.0) * d;
      m.energy_j = sum_parts(m.energy_j, domain_sum(part.value("measured_energy_j", nlohmann::json())), first);
      m.unattributed_energy_j =
          sum_parts(m.unattributed_energy_j, domain_sum(part.value("unattributed_energy_j", nlohmann::json())), first);
      m.discarded_energy_j = sum_parts(m.discarded_energy_j, domain_sum(part.value("discarded_energy_j", nlohmann::json())), first);
      m.conservation_error_j = std::max(m.conservation_error_j, part.value("conservation_error_j", 0.0));
      ++m.sessions;
    }
  }
  for (const auto& [stage, acc] : stages_) {
    StageMetrics& m = out[stage];
    m.stage = stage;
    m.queries = acc.summary.finish();
    m.queue_s = describe(acc.queue_s);
    if (m.duration_s > 0) {
      m.mean_in_flight = in_flight_s[stage] / m.duration_s;
      m.requests_per_s = static_cast<double>(acc.finished) / m.duration_s;
      m.output_tokens_per_s = acc.output_tokens / m.duration_s;
      m.mean_power_w = ratio(m.energy_j, m.duration_s);
    }
    m.j_per_output_token = ratio(m.energy_j, acc.output_tokens);
  }
  std::vector<StageMetrics> v;
  for (auto& [stage, m] : out) v.push_back(std::move(m));
  return v;
}

nlohmann::json to_json(const StageMetrics& s) {
  return {{"stage", s.stage},
          {"setting", s.setting},
          {"attribution", s.attribution},
          {"sessions", s.sessions},
          {"duration_s", s.duration_s},
          {"mean_in_flight", opt(s.mean_in_flight)},
          {"requests_per_s", opt(s.requests_per_s)},
          {"output_tokens_per_s", opt(s.output_tokens_per_s)},
          {"energy_j", opt(s.energy_j)},
          {"unattributed_energy_j", opt(s.unattributed_energy_j)},
          {"discarded_energy_j", opt(s.discarded_energy_j)},
          {"mean_power_w", opt(s.mean_power_w)},
          {"j_per_output_token", opt(s.j_per_output_token)},
          {"conservation_error_j", s.conservation_error_j},
          {"queue_s", to_json(s.queue_s)},
          {"queries", to_json(s.queries)}};
}

}  // namespace ipw::metrics
