#include "ipw/metrics/stages.h"

#include <algorithm>

#include "ipw/common/json_null.h"

namespace ipw::metrics {
namespace {

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

StageMetricsBuilder::StageMetricsBuilder(std::vector<run::SessionInfo> sessions, StageOptions opts)
    : sessions_(std::move(sessions)), opts_(std::move(opts)) {
  for (const auto& session : sessions_) {
    for (const auto& part : session.totals.value("stages", nlohmann::json::array())) {
      if (!part.contains("steady")) continue;
      const auto& w = part["steady"];
      steady_[{session.id, part.value("stage", 0)}] = {w.value("t_start_ns", std::int64_t{0}),
                                                        w.value("t_end_ns", std::int64_t{0})};
    }
  }
}

const StageMetricsBuilder::Window* StageMetricsBuilder::window(const run::QueryRecord& q) const {
  const auto it = steady_.find({q.session, q.stage});
  return it == steady_.end() ? nullptr : &it->second;
}

bool StageMetricsBuilder::steady(const run::QueryRecord& q) const {
  const Window* w = window(q);
  return w == nullptr || (q.t_start_ns >= w->t_start_ns && q.t_end_ns <= w->t_end_ns);
}

void StageMetricsBuilder::add(const run::QueryRecord& q) {
  Acc& a = stages_[q.stage];
  if (const Window* w = window(q)) {
    // Throughput inside the window: the query's finish, and its share of output tokens
    // by the stream events that fell inside (a server may send several tokens an event).
    if (q.t_end_ns > w->t_start_ns && q.t_end_ns <= w->t_end_ns) ++a.finished;
    if (q.output_tokens && !q.token_times_ns.empty()) {
      const auto inside = std::count_if(q.token_times_ns.begin(), q.token_times_ns.end(), [&](std::int64_t t) {
        return t > w->t_start_ns && t <= w->t_end_ns;
      });
      a.output_tokens += *q.output_tokens * static_cast<double>(inside) / static_cast<double>(q.token_times_ns.size());
    }
  } else {
    if (q.output_tokens) a.output_tokens += *q.output_tokens;
    ++a.finished;
  }
  if (!steady(q)) {
    ++a.transient;
    return;
  }
  if (opts_.per_stage_queries) a.summary.add(q);
  if (q.queue_ns) a.queue_s.push_back(static_cast<double>(*q.queue_ns) * 1e-9);
  if (!opts_.slo.empty()) {
    ++a.judged_slo;
    if (meets(opts_.slo, q)) {
      ++a.within_slo;
      if (q.correct.value_or(false)) ++a.goodput;
    }
  }
}

std::vector<StageMetrics> StageMetricsBuilder::finish() const {
  std::map<int, StageMetrics> out;
  // Achieved concurrency is over the stage's whole time (the warm-up ramps it up).
  std::map<int, double> in_flight_s, whole_s;
  for (const auto& session : sessions_) {
    for (const auto& part : session.totals.value("stages", nlohmann::json::array())) {
      const int stage = part.value("stage", 0);
      StageMetrics& m = out[stage];
      const bool first = m.sessions == 0;
      m.stage = stage;
      m.setting = part.value("setting", nlohmann::json::object());
      m.attribution = part.value("attribution", "");
      const auto span_s = [](const nlohmann::json& j) {
        return static_cast<double>(j.value("t_end_ns", std::int64_t{0}) - j.value("t_start_ns", std::int64_t{0})) * 1e-9;
      };
      const double d = span_s(part);
      in_flight_s[stage] += part.value("mean_in_flight", 0.0) * d;
      whole_s[stage] += d;
      if (part.contains("steady")) {
        m.steady_state = true;
        m.duration_s += std::max(0.0, span_s(part["steady"]));
        m.energy_j = sum_parts(m.energy_j, domain_sum(part["steady"].value("measured_energy_j", nlohmann::json())), first);
      } else {
        m.duration_s += d;
        m.energy_j = sum_parts(m.energy_j, domain_sum(part.value("measured_energy_j", nlohmann::json())), first);
      }
      m.unattributed_energy_j =
          sum_parts(m.unattributed_energy_j, domain_sum(part.value("unattributed_energy_j", nlohmann::json())), first);
      m.discarded_energy_j = sum_parts(m.discarded_energy_j, domain_sum(part.value("discarded_energy_j", nlohmann::json())), first);
      m.retry_energy_j = sum_parts(m.retry_energy_j, domain_sum(part.value("retry_energy_j", nlohmann::json())), first);
      m.conservation_error_j = std::max(m.conservation_error_j, part.value("conservation_error_j", 0.0));
      ++m.sessions;
    }
  }
  for (const auto& [stage, acc] : stages_) {
    StageMetrics& m = out[stage];
    m.stage = stage;
    m.queries = acc.summary.finish();
    m.queue_s = describe(acc.queue_s);
    m.transient_queries = acc.transient;
    if (whole_s[stage] > 0) m.mean_in_flight = in_flight_s[stage] / whole_s[stage];
    if (m.duration_s > 0) {
      m.requests_per_s = static_cast<double>(acc.finished) / m.duration_s;
      m.output_tokens_per_s = acc.output_tokens / m.duration_s;
      m.mean_power_w = ratio(m.energy_j, m.duration_s);
    }
    m.j_per_output_token = ratio(m.energy_j, acc.output_tokens);
    if (acc.judged_slo > 0) {
      m.slo_attainment = static_cast<double>(acc.within_slo) / static_cast<double>(acc.judged_slo);
      m.goodput_queries = acc.goodput;
      m.goodput_ipj = ratio(static_cast<double>(acc.goodput), m.energy_j);
    }
  }
  std::vector<StageMetrics> v;
  for (auto& [stage, m] : out) v.push_back(std::move(m));
  return v;
}

nlohmann::json to_json(const std::vector<StageMetrics>& stages) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : stages) out.push_back(to_json(s));
  return out;
}

nlohmann::json to_json(const StageMetrics& s) {
  return {{"stage", s.stage},
          {"setting", s.setting},
          {"attribution", s.attribution},
          {"sessions", s.sessions},
          {"duration_s", s.duration_s},
          {"mean_in_flight", json_or_null(s.mean_in_flight)},
          {"requests_per_s", json_or_null(s.requests_per_s)},
          {"output_tokens_per_s", json_or_null(s.output_tokens_per_s)},
          {"energy_j", json_or_null(s.energy_j)},
          {"unattributed_energy_j", json_or_null(s.unattributed_energy_j)},
          {"discarded_energy_j", json_or_null(s.discarded_energy_j)},
          {"retry_energy_j", json_or_null(s.retry_energy_j)},
          {"mean_power_w", json_or_null(s.mean_power_w)},
          {"j_per_output_token", json_or_null(s.j_per_output_token)},
          {"conservation_error_j", s.conservation_error_j},
          {"queue_s", to_json(s.queue_s)},
          {"steady_state", s.steady_state},
          {"transient_queries", s.transient_queries},
          {"slo_attainment", json_or_null(s.slo_attainment)},
          {"goodput_queries", s.goodput_queries},
          {"goodput_ipj", json_or_null(s.goodput_ipj)},
          {"queries", to_json(s.queries)}};
}

}  // namespace ipw::metrics
