#pragma once
// The terminal sections `ipw analyze` prints after the summary: intervals,
// trimmed figures, the energy model, inter-token latency, and the per-category
// and per-source tables.
#include <cstdio>

#include "ipw/metrics/run_metrics.h"

namespace ipw::report {

// `estimated` labels every energy figure when the run's energy was estimated.
void print_run_metrics(std::FILE* out, const metrics::RunMetrics& m, bool estimated);
void print_groups(std::FILE* out, const char* title, const std::vector<metrics::GroupStats>& groups,
                  bool estimated);
// Accuracy and mean energy per query: mean ± σ over the repeats (--repeat N);
// prints nothing for a run with one repeat.
void print_repeats(std::FILE* out, const metrics::RepeatStats& r, bool estimated);
// Reference perplexity, PPW and PPJ; prints nothing for a run without reference scores.
void print_perplexity(std::FILE* out, const metrics::PerplexitySummary& p, bool estimated);

}  // namespace ipw::report
