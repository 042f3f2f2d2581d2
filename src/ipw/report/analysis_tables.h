#pragma once
// The terminal sections `ipw analyze` prints after the summary: intervals,
// trimmed figures, the energy model, inter-token latency, and the per-category
// and per-source tables.
#include <cstdio>

#include <string>
#include <vector>

#include "ipw/metrics/run_metrics.h"
#include "ipw/metrics/saturation.h"
#include "ipw/metrics/slo.h"
#include "ipw/metrics/stages.h"

namespace ipw::report {

// `estimated` labels every energy figure when the run's energy was estimated.
void print_run_metrics(std::FILE* out, const metrics::RunMetrics& m, bool estimated);
void print_groups(std::FILE* out, const char* title, const std::vector<metrics::GroupStats>& groups,
                  bool estimated);
// Accuracy and mean energy per query: mean ± σ over the repeats (--repeat N);
// prints nothing for a run with one repeat.
void print_repeats(std::FILE* out, const metrics::RepeatStats& r, bool estimated);
// One row per load stage: its setting, achieved concurrency, throughput, measured
// energy, J per output token, latency percentiles, accuracy and IPJ. `label` marks
// estimated energy. Prints nothing for a run without stage records.
// The load-stage table, then its notes: steady-state windows, the SLO's goodput, saturation.
void print_stages(std::FILE* out, const std::vector<metrics::StageMetrics>& stages, const std::string& label,
                  const metrics::Slo& slo, const std::optional<metrics::Saturation>& saturation);
// Reference perplexity, PPW and PPJ; prints nothing for a run without reference scores.
void print_perplexity(std::FILE* out, const metrics::PerplexitySummary& p, bool estimated);

}  // namespace ipw::report
