#pragma once
// Everything `ipw analyze` and the report compute for one run, in one streaming
// pass over its queries: the summary (summary.h), bootstrap intervals, the
// 5%-trimmed IPW family, the energy model, inter-token latency, and per
// category / per source breakdowns. Memory is O(queries) doubles, never
// O(queries) QueryRecords, so a million-query run stays well under 1 GiB.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/bootstrap.h"
#include "ipw/metrics/breakdown.h"
#include "ipw/metrics/energy_model.h"
#include "ipw/metrics/perplexity.h"
#include "ipw/metrics/repeats.h"
#include "ipw/common/rng.h"
#include "ipw/metrics/summary.h"

namespace ipw::metrics {

struct TrimmedEfficiency {
  double proportion = 0.05;  // cut from each tail of the per-query E and P
  std::optional<double> mean_energy_j, mean_power_w, mean_net_energy_j, mean_net_power_w;
  // accuracy (all scored queries, untrimmed) over the trimmed mean denominator
  std::optional<double> ipw, ipj, ipw_net, ipj_net;
};

struct RunMetrics {
  RunSummary summary;
  EfficiencyIntervals ci95;
  TrimmedEfficiency trimmed;
  std::optional<EnergyModel> energy_model;
  std::optional<double> error_rate;
  std::optional<double> mean_prefill_energy_j, mean_decode_energy_j;
  Distribution itl_s;        // inter-token latency over all tokens of successful queries
  bool itl_sampled = false;  // more gaps than the cap: percentiles from a seeded reservoir
  std::vector<GroupStats> by_category, by_source;
  RepeatStats repeats;  // per repeat (--repeat N) and mean ± σ across repeats
  PerplexitySummary perplexity;  // reference-answer perplexity and PPW/PPJ (runs with --perplexity)
};

struct RunMetricsOptions {
  BootstrapOptions bootstrap;
  double trim_proportion = 0.05;
  std::size_t max_itl_values = 4'000'000;  // reservoir cap (32 MB)
};

class RunMetricsBuilder {
 public:
  explicit RunMetricsBuilder(RunMetricsOptions opts = {});
  void add(const run::QueryRecord& q);
  RunMetrics finish() const;

 private:
  void add_itl(double gap_s);
  RunMetricsOptions opts_;
  SummaryBuilder summary_;
  GroupBuilder by_category_, by_source_;
  RepeatBuilder repeats_;
  EnergyModelFit fit_;
  PerplexityBuilder perplexity_;
  std::vector<EfficiencyPoint> points_;
  std::vector<double> itl_;
  std::size_t itl_seen_ = 0;
  double itl_sum_ = 0;
  SplitMix64 itl_rng_;
  double prefill_sum_ = 0, decode_sum_ = 0;
  std::size_t prefill_n_ = 0, decode_n_ = 0;
};

RunMetrics compute_run_metrics(const std::vector<run::QueryRecord>& queries,
                               const RunMetricsOptions& opts = {});

// The extra figures only (summary.json keeps RunSummary under "summary").
nlohmann::json to_json(const RunMetrics& m);

}  // namespace ipw::metrics
