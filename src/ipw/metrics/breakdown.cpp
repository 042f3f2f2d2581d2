#include "ipw/metrics/breakdown.h"

#include "ipw/common/json_null.h"

namespace ipw::metrics {
namespace {

std::optional<double> avg(double sum, std::size_t n) {
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

}  // namespace

void GroupBuilder::add(const std::string& key, const run::QueryRecord& q) {
  Acc& a = groups_[key.empty() ? std::string("(none)") : key];
  ++a.queries;
  if (!q.ok()) ++a.errors;
  a.accuracy.add(q);
  if (!q.ok()) return;
  ++a.ok;
  a.sum_latency += q.latency_s();
  if (q.output_tokens) {
    ++a.tokens;
    a.sum_out += *q.output_tokens;
  }
  if (!q.energy_j) return;
  // Same populations as the run summary: E over queries with energy, P over
  // those whose window has a length.
  ++a.energy;
  a.sum_e += *q.energy_j;
  if (const auto p = q.power_w()) {
    ++a.power;
    a.sum_p += *p;
  }
  if (q.net_energy_j) {
    ++a.net;
    a.sum_ne += *q.net_energy_j;
  }
}

std::vector<GroupStats> GroupBuilder::finish() const {
  std::vector<GroupStats> out;
  for (const auto& [key, a] : groups_) {
    GroupStats g;
    g.key = key;
    g.queries = a.queries;
    g.errors = a.errors;
    g.scored = a.accuracy.scored;
    g.correct = a.accuracy.correct;
    g.energy_queries = a.energy;
    g.accuracy = a.accuracy.accuracy();
    g.accuracy_ci95 = a.accuracy.ci95();
    g.mean_energy_j = avg(a.sum_e, a.energy);
    g.mean_power_w = avg(a.sum_p, a.power);
    g.mean_net_energy_j = avg(a.sum_ne, a.net);
    g.ipw = ratio(g.accuracy, g.mean_power_w);
    g.ipj = ratio(g.accuracy, g.mean_energy_j);
    g.mean_latency_s = avg(a.sum_latency, a.ok);
    g.mean_output_tokens = avg(a.sum_out, a.tokens);
    out.push_back(std::move(g));
  }
  return out;
}

nlohmann::json to_json(const GroupStats& g) {
  nlohmann::json ci;
  if (g.accuracy_ci95) ci = {g.accuracy_ci95->lo, g.accuracy_ci95->hi};
  return {{"key", g.key},
          {"queries", g.queries},
          {"errors", g.errors},
          {"scored", g.scored},
          {"correct", g.correct},
          {"energy_queries", g.energy_queries},
          {"accuracy", json_or_null(g.accuracy)},
          {"accuracy_ci95", ci},
          {"mean_energy_j", json_or_null(g.mean_energy_j)},
          {"mean_power_w", json_or_null(g.mean_power_w)},
          {"mean_net_energy_j", json_or_null(g.mean_net_energy_j)},
          {"ipw", json_or_null(g.ipw)},
          {"ipj", json_or_null(g.ipj)},
          {"mean_latency_s", json_or_null(g.mean_latency_s)},
          {"mean_output_tokens", json_or_null(g.mean_output_tokens)}};
}

nlohmann::json to_json(const std::vector<GroupStats>& groups) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& g : groups) arr.push_back(to_json(g));
  return arr;
}

}  // namespace ipw::metrics
