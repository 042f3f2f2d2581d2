#pragma once
// The per-run figure data of the HTML report, computed in C++ so the page only
// draws: the down-sampled power timeline with query phases, a sample of
// queries for the energy-vs-tokens scatter, and latency histograms.
#include <cstddef>

#include <nlohmann/json.hpp>

#include "ipw/report/run_set.h"

namespace ipw::report {

struct FigureOptions {
  std::size_t timeline_points = 2000;
  std::size_t scatter_points = 3000;
  std::size_t exact_phase_queries = 400;  // above this, phases are shaded per timeline bucket
  int histogram_bins = 40;
};

nlohmann::json run_figures(const LoadedRun& run, const FigureOptions& opts = {});

// Histogram of xs: `bins` equal bins from min(xs) to the 99th percentile; values
// above it are counted in the last bin and reported as `clipped`.
nlohmann::json histogram(std::vector<double> xs, int bins);

}  // namespace ipw::report
