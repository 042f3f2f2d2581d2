#include "ipw/metrics/tasks.h"

#include <algorithm>

#include "ipw/common/json_null.h"

namespace ipw::metrics {
namespace {

// The first bin holds prompts under 256 tokens; each after it is twice as wide.
constexpr std::int64_t kFirstBinTokens = 256;

std::vector<ContextBin> context_bins(const std::vector<double>& tokens, const std::vector<double>& energy_j,
                                     const std::vector<std::optional<double>>& prefill_j) {
  std::map<std::int64_t, std::vector<std::size_t>> by_hi;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::int64_t hi = kFirstBinTokens;
    while (static_cast<double>(hi) <= tokens[i]) hi *= 2;
    by_hi[hi].push_back(i);
  }
  std::vector<ContextBin> out;
  for (const auto& [hi, idx] : by_hi) {
    ContextBin b;
    b.lo_tokens = hi == kFirstBinTokens ? 0 : hi / 2;
    b.hi_tokens = hi;
    b.turns = idx.size();
    std::vector<double> e, p;
    for (std::size_t i : idx) {
      e.push_back(energy_j[i]);
      if (prefill_j[i]) p.push_back(*prefill_j[i]);
    }
    b.mean_energy_j = mean(e);
    if (p.size() == idx.size()) b.mean_prefill_energy_j = mean(p);  // only when every turn has it
    out.push_back(b);
  }
  return out;
}

// Ordinary least-squares slope of y on x; empty with fewer than two distinct x.
std::optional<double> slope(const std::vector<double>& x, const std::vector<double>& y) {
  const auto mx = mean(x), my = mean(y);
  if (!mx || !my) return std::nullopt;
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - *mx) * (y[i] - *my);
    sxx += (x[i] - *mx) * (x[i] - *mx);
  }
  if (!(sxx > 0)) return std::nullopt;
  return sxy / sxx;
}

}  // namespace

void TaskMetricsBuilder::add(const run::QueryRecord& q) {
  if (q.task.empty()) return;
  auto [it, fresh] = tasks_.try_emplace(q.task);
  Acc& a = it->second;
  TaskRow& r = a.row;
  if (fresh) {
    r.task = q.task;
    a.t_start_ns = q.t_start_ns;
    a.t_end_ns = q.t_end_ns;
  }
  a.t_start_ns = std::min(a.t_start_ns, q.t_start_ns);
  a.t_end_ns = std::max(a.t_end_ns, q.t_end_ns);
  ++r.turns;
  if (!q.ok()) ++r.failed_turns;
  r.tool_calls += q.tool_calls.value_or(0);
  r.input_tokens += q.input_tokens.value_or(0);
  r.output_tokens += q.output_tokens.value_or(0);
  if (q.energy_j) {
    r.request_energy_j = r.request_energy_j.value_or(0.0) + *q.energy_j;
  } else {
    a.energy_known = false;
  }
  if (q.ok() && q.energy_j && q.input_tokens) turns_.push_back({*q.input_tokens, *q.energy_j, q.prefill_energy_j});
}

TaskMetrics TaskMetricsBuilder::finish(const std::vector<run::TaskRecord>& stored) const {
  std::map<std::string, const run::TaskRecord*> by_name;
  for (const run::TaskRecord& t : stored) by_name[t.task] = &t;
  TaskMetrics m;
  TaskSummary& s = m.summary;
  std::vector<double> turns, wall, request, between, ipj_energy;
  std::size_t ipj_succeeded = 0;
  for (const auto& [name, a] : tasks_) {
    TaskRow r = a.row;
    r.wall_s = static_cast<double>(a.t_end_ns - a.t_start_ns) * 1e-9;
    if (!a.energy_known) r.request_energy_j.reset();
    if (const auto it = by_name.find(name); it != by_name.end()) {
      r.between_energy_j = it->second->between_energy_j;
      r.success = it->second->success;
      r.score = it->second->score;
    }
    turns.push_back(static_cast<double>(r.turns));
    wall.push_back(r.wall_s);
    if (r.request_energy_j) request.push_back(*r.request_energy_j);
    if (r.between_energy_j) between.push_back(*r.between_energy_j);
    if (r.success) {
      ++s.with_outcome;
      if (*r.success) ++s.succeeded;
      if (r.request_energy_j) {
        ipj_energy.push_back(*r.request_energy_j);
        if (*r.success) ++ipj_succeeded;
      }
    }
    m.rows.push_back(std::move(r));
  }
  s.tasks = m.rows.size();
  if (s.with_outcome > 0) {
    s.success_rate = static_cast<double>(s.succeeded) / static_cast<double>(s.with_outcome);
    s.success_ci95 = wilson_interval(s.succeeded, s.with_outcome);
  }
  s.mean_turns = mean(turns);
  s.mean_wall_s = mean(wall);
  s.mean_request_energy_j = mean(request);
  s.mean_between_energy_j = mean(between);
  s.ipj_tasks = ipj_energy.size();
  if (s.ipj_tasks > 0) {
    s.ipj_per_task = ratio(static_cast<double>(ipj_succeeded) / static_cast<double>(s.ipj_tasks), mean(ipj_energy));
  }
  std::vector<double> x, y;
  std::vector<std::optional<double>> prefill;
  for (const Turn& t : turns_) {
    x.push_back(static_cast<double>(t.input_tokens));
    y.push_back(t.energy_j);
    prefill.push_back(t.prefill_energy_j);
  }
  if (const auto b = slope(x, y)) s.j_per_1k_context_tokens = *b * 1000;
  s.by_context = context_bins(x, y, prefill);
  return m;
}

nlohmann::json to_json(const TaskMetrics& m) {
  const TaskSummary& s = m.summary;
  nlohmann::json bins = nlohmann::json::array();
  for (const ContextBin& b : s.by_context) {
    bins.push_back({{"lo_tokens", b.lo_tokens}, {"hi_tokens", b.hi_tokens}, {"turns", b.turns},
                    {"mean_energy_j", json_or_null(b.mean_energy_j)},
                    {"mean_prefill_energy_j", json_or_null(b.mean_prefill_energy_j)}});
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const TaskRow& r : m.rows) {
    rows.push_back({{"task", r.task}, {"turns", r.turns}, {"failed_turns", r.failed_turns},
                    {"tool_calls", r.tool_calls}, {"input_tokens", r.input_tokens},
                    {"output_tokens", r.output_tokens}, {"wall_s", r.wall_s},
                    {"request_energy_j", json_or_null(r.request_energy_j)},
                    {"between_energy_j", json_or_null(r.between_energy_j)},
                    {"success", json_or_null(r.success)}, {"score", json_or_null(r.score)}});
  }
  nlohmann::json ci;
  if (s.success_ci95) ci = {s.success_ci95->lo, s.success_ci95->hi};
  return {{"summary",
           {{"tasks", s.tasks}, {"with_outcome", s.with_outcome}, {"succeeded", s.succeeded},
            {"success_rate", json_or_null(s.success_rate)}, {"success_ci95", ci},
            {"mean_turns", json_or_null(s.mean_turns)}, {"mean_wall_s", json_or_null(s.mean_wall_s)},
            {"mean_request_energy_j", json_or_null(s.mean_request_energy_j)},
            {"mean_between_energy_j", json_or_null(s.mean_between_energy_j)},
            {"ipj_per_task", json_or_null(s.ipj_per_task)}, {"ipj_tasks", s.ipj_tasks},
            {"j_per_1k_context_tokens", json_or_null(s.j_per_1k_context_tokens)},
            {"by_context", bins}}},
          {"tasks", rows}};
}

}  // namespace ipw::metrics
