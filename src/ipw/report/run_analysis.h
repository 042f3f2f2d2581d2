#pragma once
// Loads a run directory and computes what `ipw analyze` and summary.json show.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/run_metrics.h"
#include "ipw/metrics/saturation.h"
#include "ipw/metrics/slo.h"
#include "ipw/metrics/stages.h"
#include "ipw/metrics/summary.h"
#include "ipw/metrics/tasks.h"
#include "ipw/run/store.h"

namespace ipw::report {

struct RunAnalysis {
  std::string dir;
  nlohmann::json manifest;
  std::vector<run::SessionInfo> sessions;
  metrics::RunSummary summary;
  metrics::RunMetrics metrics;  // intervals, trimmed, energy model, breakdowns (summary included)
  std::vector<metrics::StageMetrics> stages;  // per load stage (docs/load.md); empty for runs before stages
  metrics::Slo slo;  // the objectives of the goodput figures (the run's --slo, or analyze's)
  std::optional<metrics::Saturation> saturation;  // the first stage that saturated the server
  std::vector<std::string> domains_included;  // the domains IPW/IPJ figures sum
  std::optional<double> idle_power_w;  // the last session's idle baseline, summed over domains
  // The LLM judge, when the run was judged: the manifest's judge record plus totals
  // over the judgments table and how many queries each score method decided. Null otherwise.
  nlohmann::json judge;
  // The tasks of an agent run (`ipw proxy`, docs/agents.md); empty when no query has one.
  std::optional<metrics::TaskMetrics> tasks;
};

// `slo`: objectives for the goodput figures instead of the run's own --slo ("": the run's).
RunAnalysis analyze_run(const std::string& dir, const std::string& slo = "");
// summary.json / `analyze --json`: opens with machine context and a schema version.
nlohmann::json to_json(const RunAnalysis& a);
void print_analysis(std::FILE* out, const RunAnalysis& a);
// Writes <dir>/summary.json (atomically: temp file + rename).
void write_summary_json(const RunAnalysis& a);

}  // namespace ipw::report
