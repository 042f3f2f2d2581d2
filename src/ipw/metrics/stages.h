#pragma once
// Figures per load stage (docs/load.md): a stage's throughput, its energy and J per
// output token come from the stage's own totals — what the meters measured while it
// ran, over its wall time — so they do not depend on how overlapping queries share
// energy; accuracy, latency percentiles and the per-query IPW/IPJ (ratios of means
// over queries) come from its queries, and those do depend on the sharing rule.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/stats.h"
#include "ipw/metrics/summary.h"
#include "ipw/run/query_record.h"
#include "ipw/run/store.h"

namespace ipw::metrics {

struct StageMetrics {
  int stage = 0;
  nlohmann::json setting;        // as run, e.g. {"concurrency": 4}
  std::string attribution;       // the sharing rule its queries' energies used
  std::size_t sessions = 0;      // how many sessions ran part of it (1 + its resumes)
  double duration_s = 0;         // wall time, summed over its sessions' parts
  std::optional<double> mean_in_flight;   // achieved concurrency (time-weighted)
  std::optional<double> requests_per_s;   // queries finished / duration
  std::optional<double> output_tokens_per_s;  // Σ output tokens / duration
  // Summed over the selected domains and the stage's parts; empty when any is unknown.
  std::optional<double> energy_j, unattributed_energy_j, discarded_energy_j;
  std::optional<double> mean_power_w;       // energy / duration
  std::optional<double> j_per_output_token; // energy / Σ output tokens
  double conservation_error_j = 0;          // the worst part's |measured − shares − unattributed|
  Distribution queue_s;
  RunSummary queries;  // accuracy, IPW/IPJ (ratios of means), TTFT/TPOT/E2E of its queries
};

// Streams the queries; finish() joins them with the stages the sessions recorded.
class StageMetricsBuilder {
 public:
  // per_stage_queries false: a run of one stage, whose query figures are the run's
  // own summary — the caller fills StageMetrics::queries instead of computing it twice.
  explicit StageMetricsBuilder(bool per_stage_queries = true) : per_stage_queries_(per_stage_queries) {}
  void add(const run::QueryRecord& q);
  std::vector<StageMetrics> finish(const std::vector<run::SessionInfo>& sessions) const;

 private:
  struct Acc {
    SummaryBuilder summary;
    std::vector<double> queue_s;
    double output_tokens = 0;
    std::size_t finished = 0;
  };
  std::map<int, Acc> stages_;
  bool per_stage_queries_;
};

nlohmann::json to_json(const StageMetrics& s);

}  // namespace ipw::metrics
