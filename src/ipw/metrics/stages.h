#pragma once
// Figures per load stage (docs/load.md): a stage's throughput, its energy and J per
// output token come from the stage's own totals — what the meters measured while it
// ran, over its wall time — so they do not depend on how overlapping queries share
// energy; accuracy, latency percentiles and the per-query IPW/IPJ (ratios of means
// over queries) come from its queries, and those do depend on the sharing rule.
//
// With --warmup-s/--cooldown-s a stage's figures are its steady state: the window
// between its first W and last C seconds. Throughput counts the tokens streamed and
// the queries finished inside it, energy is what the meters measured inside it, and
// the per-query figures leave out every query that touches the edges (they stay stored).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/slo.h"
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
  // retry_energy_j: the shares of attempts the server turned away and that were sent again.
  std::optional<double> energy_j, unattributed_energy_j, discarded_energy_j, retry_energy_j;
  std::optional<double> mean_power_w;       // energy / duration
  std::optional<double> j_per_output_token; // energy / Σ output tokens
  double conservation_error_j = 0;          // the worst part's |measured − shares − unattributed|
  Distribution queue_s;
  RunSummary queries;  // accuracy, IPW/IPJ (ratios of means), TTFT/TPOT/E2E of its queries
  bool steady_state = false;          // figures from the window inside --warmup-s/--cooldown-s
  std::size_t transient_queries = 0;  // stored queries left out for touching the warm-up or cool-down
  // With --slo: the share of its queries meeting every objective, those both correct and
  // within them, and goodput IPJ = that count per joule of the stage's energy.
  std::optional<double> slo_attainment, goodput_ipj;
  std::size_t goodput_queries = 0;
};

struct StageOptions {
  // false: a run of one stage, whose query figures are the run's own summary — the
  // caller fills StageMetrics::queries instead of computing them twice.
  bool per_stage_queries = true;
  Slo slo;
};

// Streams the queries; finish() joins them with the stages the sessions recorded.
class StageMetricsBuilder {
 public:
  // The sessions' records of the stages they ran (their parts and steady windows).
  StageMetricsBuilder(std::vector<run::SessionInfo> sessions, StageOptions opts);
  // Whether the query's figures count: false for one touching its stage's warm-up or cool-down.
  bool steady(const run::QueryRecord& q) const;
  void add(const run::QueryRecord& q);  // needs token times for the steady window's throughput
  std::vector<StageMetrics> finish() const;

 private:
  struct Window {
    std::int64_t t_start_ns = 0, t_end_ns = 0;
  };
  struct Acc {
    SummaryBuilder summary;
    std::vector<double> queue_s;
    double output_tokens = 0;
    std::size_t finished = 0, transient = 0, within_slo = 0, goodput = 0, judged_slo = 0;
  };
  const Window* window(const run::QueryRecord& q) const;
  std::vector<run::SessionInfo> sessions_;
  StageOptions opts_;
  std::map<std::pair<int, int>, Window> steady_;  // by (session, stage)
  std::map<int, Acc> stages_;
};

nlohmann::json to_json(const StageMetrics& s);
nlohmann::json to_json(const std::vector<StageMetrics>& stages);  // an array, in stage order

}  // namespace ipw::metrics
