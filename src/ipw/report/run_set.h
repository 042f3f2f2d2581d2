#pragma once
// Loads runs for the cross-run commands (compare, route, trend, report): each
// run's metrics and per-item outcomes from one streaming pass over its store,
// plus its identity (model, accelerator, release date, parameter count).
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/item_outcomes.h"
#include "ipw/metrics/run_metrics.h"
#include "ipw/metrics/saturation.h"
#include "ipw/metrics/stages.h"

namespace ipw::report {

struct LoadedRun {
  std::string dir;
  std::string label;  // "model @ hardware", made unique within a set
  std::string model, hardware;
  std::string release_date;           // manifest model_info.release_date (may be empty)
  std::optional<double> parameters;   // manifest model_info.parameters
  std::string workload;               // workload sha256 (runs over the same items share it)
  std::vector<std::string> domains_included;
  std::optional<double> idle_power_w;
  nlohmann::json manifest;
  metrics::RunMetrics metrics;
  std::vector<metrics::StageMetrics> stages;  // per load stage (docs/load.md), with the run's --slo
  std::optional<metrics::Saturation> saturation;
  metrics::Slo slo;  // the run's --slo (the stages' goodput figures)
  std::unordered_map<std::string, metrics::ItemOutcome> items;
};

struct RunSetOptions {
  bool items = true;  // per-item outcomes (coverage, routing); off for single-run figures
  metrics::RunMetricsOptions metrics;
};

LoadedRun load_run(const std::string& dir, const RunSetOptions& opts = {});
// Loads each run; duplicate labels get the run directory's name appended.
std::vector<LoadedRun> load_runs(const std::vector<std::string>& dirs, const RunSetOptions& opts = {});


// "NAME=VALUE" flag values (NAME is a model name, a label or a run directory).
std::unordered_map<std::string, std::string> parse_assignments(const std::vector<std::string>& values,
                                                               const char* flag);
// The value for `run` in `map` by run directory, directory name, label or model; empty if none.
std::string lookup(const std::unordered_map<std::string, std::string>& map, const LoadedRun& run);

}  // namespace ipw::report
