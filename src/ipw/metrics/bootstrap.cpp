#include "ipw/metrics/bootstrap.h"

#include <algorithm>

#include "ipw/metrics/rng.h"

namespace ipw::metrics {
namespace {

std::optional<Interval> percentile_interval(std::vector<double>& values) {
  if (values.size() < 2) return std::nullopt;
  std::sort(values.begin(), values.end());
  return Interval{*percentile(values, 2.5), *percentile(values, 97.5)};
}

nlohmann::json ci_json(const std::optional<Interval>& i) {
  return i ? nlohmann::json::array({i->lo, i->hi}) : nlohmann::json();
}

}  // namespace

EfficiencyIntervals bootstrap_efficiency(const std::vector<EfficiencyPoint>& points,
                                         const BootstrapOptions& opts) {
  EfficiencyIntervals out;
  out.seed = opts.seed;
  const std::size_t n = points.size();
  if (n < 2 || opts.replicates <= 0) return out;
  std::size_t reps = static_cast<std::size_t>(opts.replicates);
  if (reps * n > opts.max_draws) {
    reps = std::max(static_cast<std::size_t>(std::max(opts.min_replicates, 1)), opts.max_draws / n);
    reps = std::min(reps, static_cast<std::size_t>(opts.replicates));
  }
  out.replicates = static_cast<int>(reps);
  std::vector<double> acc, ipw, ipj, ipw_net, ipj_net;
  acc.reserve(reps);
  SplitMix64 rng(opts.seed);
  for (std::size_t r = 0; r < reps; ++r) {
    std::size_t scored = 0, correct = 0, ne = 0, nn = 0;
    double sum_e = 0, sum_p = 0, sum_ne = 0, sum_np = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const EfficiencyPoint& q = points[rng.below(n)];
      if (q.correct >= 0) {
        ++scored;
        correct += static_cast<std::size_t>(q.correct);
      }
      if (q.has_energy) {
        ++ne;
        sum_e += q.energy_j;
        sum_p += q.power_w;
      }
      if (q.has_net) {
        ++nn;
        sum_ne += q.net_energy_j;
        sum_np += q.net_power_w;
      }
    }
    if (scored == 0) continue;
    const double a = static_cast<double>(correct) / static_cast<double>(scored);
    acc.push_back(a);
    if (ne > 0 && sum_p > 0) ipw.push_back(a * static_cast<double>(ne) / sum_p);
    if (ne > 0 && sum_e > 0) ipj.push_back(a * static_cast<double>(ne) / sum_e);
    if (nn > 0 && sum_np > 0) ipw_net.push_back(a * static_cast<double>(nn) / sum_np);
    if (nn > 0 && sum_ne > 0) ipj_net.push_back(a * static_cast<double>(nn) / sum_ne);
  }
  out.accuracy = percentile_interval(acc);
  out.ipw = percentile_interval(ipw);
  out.ipj = percentile_interval(ipj);
  out.ipw_net = percentile_interval(ipw_net);
  out.ipj_net = percentile_interval(ipj_net);
  return out;
}

nlohmann::json to_json(const EfficiencyIntervals& ci) {
  return {{"method", "percentile bootstrap over queries"},
          {"replicates", ci.replicates},
          {"seed", ci.seed},
          {"accuracy", ci_json(ci.accuracy)},
          {"ipw", ci_json(ci.ipw)},
          {"ipj", ci_json(ci.ipj)},
          {"ipw_net", ci_json(ci.ipw_net)},
          {"ipj_net", ci_json(ci.ipj_net)}};
}

}  // namespace ipw::metrics
