#pragma once
// Per-group figures (by the workload's `category` or `source` field): the same
// definitions as the run summary (ratios of means), accumulated in O(1) memory
// per group so a million-query run costs one pass.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/accuracy_tally.h"
#include "ipw/metrics/stats.h"
#include "ipw/run/query_record.h"

namespace ipw::metrics {

struct GroupStats {
  std::string key;
  std::size_t queries = 0, errors = 0, scored = 0, correct = 0, energy_queries = 0;
  std::optional<double> accuracy;
  std::optional<Interval> accuracy_ci95;  // Wilson
  std::optional<double> mean_energy_j, mean_power_w, mean_net_energy_j, ipw, ipj;
  std::optional<double> mean_latency_s, mean_output_tokens;
};

class GroupBuilder {
 public:
  // Empty keys are grouped as "(none)".
  void add(const std::string& key, const run::QueryRecord& q);
  // Sorted by key.
  std::vector<GroupStats> finish() const;

 private:
  struct Acc {
    AccuracyTally accuracy;
    std::size_t queries = 0, errors = 0, energy = 0, power = 0, net = 0,
                ok = 0, tokens = 0;
    double sum_e = 0, sum_p = 0, sum_ne = 0, sum_latency = 0, sum_out = 0;
  };
  std::map<std::string, Acc> groups_;
};

nlohmann::json to_json(const GroupStats& g);
nlohmann::json to_json(const std::vector<GroupStats>& groups);

}  // namespace ipw::metrics
