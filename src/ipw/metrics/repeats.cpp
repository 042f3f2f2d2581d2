#include "ipw/metrics/repeats.h"

#include <cmath>

#include "ipw/common/json_null.h"
#include "ipw/metrics/stats.h"

namespace ipw::metrics {

std::optional<double> sample_sd(const std::vector<double>& xs) {
  if (xs.size() < 2) return std::nullopt;
  const double m = *mean(xs);
  double ss = 0;
  for (double x : xs) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

void RepeatBuilder::add(const run::QueryRecord& q) {
  Acc& a = repeats_[q.repeat];
  ++a.queries;
  a.accuracy.add(q);
  if (q.ok() && q.energy_j) {
    ++a.energy;
    a.sum_e += *q.energy_j;
  }
}

RepeatStats RepeatBuilder::finish() const {
  RepeatStats r;
  std::vector<double> acc, energy;
  for (const auto& [repeat, a] : repeats_) {
    RepeatFigures f;
    f.repeat = repeat;
    f.queries = a.queries;
    f.scored = a.accuracy.scored;
    f.correct = a.accuracy.correct;
    f.energy_queries = a.energy;
    f.accuracy = a.accuracy.accuracy();
    if (f.accuracy) acc.push_back(*f.accuracy);
    if (a.energy > 0) {
      f.mean_energy_j = a.sum_e / static_cast<double>(a.energy);
      energy.push_back(*f.mean_energy_j);
    }
    r.per_repeat.push_back(f);
  }
  r.accuracy_mean = mean(acc);
  r.accuracy_sd = sample_sd(acc);
  r.mean_energy_j_mean = mean(energy);
  r.mean_energy_j_sd = sample_sd(energy);
  return r;
}

nlohmann::json to_json(const RepeatStats& r) {
  nlohmann::json per = nlohmann::json::array();
  for (const auto& f : r.per_repeat) {
    per.push_back({{"repeat", f.repeat}, {"queries", f.queries}, {"scored", f.scored}, {"correct", f.correct},
                   {"energy_queries", f.energy_queries}, {"accuracy", json_or_null(f.accuracy)},
                   {"mean_energy_j", json_or_null(f.mean_energy_j)}});
  }
  return {{"repeats", r.repeats()},
          {"accuracy", {{"mean", json_or_null(r.accuracy_mean)}, {"sd", json_or_null(r.accuracy_sd)}}},
          {"mean_energy_j", {{"mean", json_or_null(r.mean_energy_j_mean)}, {"sd", json_or_null(r.mean_energy_j_sd)}}},
          {"per_repeat", per}};
}

}  // namespace ipw::metrics
