#pragma once
// `ipw compare`: the leaderboard across runs, the accuracy-vs-energy Pareto
// frontier, and coverage (best-of-N, marginal contribution, by category).
#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/coverage.h"
#include "ipw/report/run_set.h"

namespace ipw::report {

struct LeaderboardRow {
  std::size_t run = 0;  // index into the loaded runs
  std::string label, dir, model, hardware, energy_source;
  std::size_t queries = 0, errors = 0;
  std::optional<double> accuracy, ipw, ipj, ipw_net, ipj_net, mean_energy_j, mean_power_w;
  std::optional<metrics::Interval> accuracy_ci, ipw_ci, ipj_ci;
  std::optional<double> j_per_output_token, latency_p50_s, output_tokens_per_s;
  bool pareto = false;  // on the accuracy-vs-energy-per-query frontier
};

// A run profiled under load: its stages (docs/load.md), for `compare`'s stage tables.
struct RunStages {
  std::string label;
  std::vector<metrics::StageMetrics> stages;
  metrics::Slo slo;
  std::optional<metrics::Saturation> saturation;
};

struct Comparison {
  std::vector<LeaderboardRow> rows;  // sorted by the chosen key, best first
  std::string sort_key;
  std::optional<metrics::CoverageResult> coverage;  // when ≥ 2 runs share items
  std::vector<std::string> labels;   // by run index (coverage refers to these)
  std::size_t common_items = 0, union_items = 0;
  std::vector<std::string> warnings;
  std::vector<RunStages> load_runs;  // runs with several stages or more than one query in flight, in run order
};

// sort_key: ipw | ipj | accuracy | energy (mean J/query, ascending) | label
Comparison compare_runs(const std::vector<LoadedRun>& runs, const std::string& sort_key = "ipw");
// The columns of `compare --csv` (one row per run), in order.
const std::vector<std::string>& leaderboard_columns();

void print_comparison(std::FILE* out, const Comparison& c);
nlohmann::json to_json(const Comparison& c);
void write_leaderboard_csv(const Comparison& c, std::ostream& out);

}  // namespace ipw::report
