#pragma once
// Spread across repetitions (`ipw profile --repeat N`): each repeat is one full
// pass over the workload, so its accuracy and its mean energy per query are one
// measurement each, and the run reports their mean ± σ over the N passes. σ is
// the sample standard deviation (n − 1), the spread one more pass would show.
#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/accuracy_tally.h"
#include "ipw/run/query_record.h"

namespace ipw::metrics {

struct RepeatFigures {
  int repeat = 0;
  std::size_t queries = 0, scored = 0, correct = 0, energy_queries = 0;
  std::optional<double> accuracy;       // correct / scored, as in the run summary
  std::optional<double> mean_energy_j;  // over successful queries with an energy figure
};

struct RepeatStats {
  std::vector<RepeatFigures> per_repeat;  // by repeat index
  // Mean and σ over the repeats that have the figure; σ needs two of them.
  std::optional<double> accuracy_mean, accuracy_sd, mean_energy_j_mean, mean_energy_j_sd;
  std::size_t repeats() const { return per_repeat.size(); }
};

class RepeatBuilder {
 public:
  void add(const run::QueryRecord& q);
  RepeatStats finish() const;

 private:
  struct Acc {
    AccuracyTally accuracy;
    std::size_t queries = 0, energy = 0;
    double sum_e = 0;
  };
  std::map<int, Acc> repeats_;
};

// Sample mean and σ (n − 1); σ empty for fewer than two values.
std::optional<double> sample_sd(const std::vector<double>& xs);

nlohmann::json to_json(const RepeatStats& r);

}  // namespace ipw::metrics
