#pragma once
// Seeded percentile-bootstrap 95% intervals for the IPW family (docs/analysis.md).
// Queries are resampled with replacement; every replicate recomputes accuracy
// and the ratio-of-means metrics together, so the intervals respect the
// correlation between correctness and energy within a query.
//
// Two resampling schemes, chosen by size:
//   multinomial  the classic bootstrap (n draws with replacement per replicate),
//                for runs up to `multinomial_max_queries`;
//   poisson      each query enters each replicate Poisson(1) times (the
//                "Poisson bootstrap", asymptotically the same distribution).
//                One sequential pass over the queries updates all replicates,
//                so a million queries cost no random memory access: the
//                multinomial scheme spends ~100 ns per draw on cache misses.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/stats.h"

namespace ipw::metrics {

// One query as the bootstrap sees it: 48 bytes, so a million fit in 48 MB.
struct EfficiencyPoint {
  std::int8_t correct = -1;  // -1: not scored, 0: wrong (or failed), 1: right
  bool has_energy = false;
  bool has_net = false;
  double energy_j = 0, power_w = 0, net_energy_j = 0, net_power_w = 0;
};

struct BootstrapOptions {
  int replicates = 1000;
  std::uint64_t seed = 20251107;  // fixed default: the same run gives the same intervals
  // Work cap in resampled queries (replicates x n). A million-query run would
  // need 10^9 draws for 1000 replicates; the cap lowers the replicate count
  // (never below min_replicates) and the figure actually used is reported.
  std::size_t max_draws = 200'000'000;
  int min_replicates = 200;
  std::size_t multinomial_max_queries = 50'000;
};

struct EfficiencyIntervals {
  int replicates = 0;  // replicates actually drawn (0: no intervals)
  std::uint64_t seed = 0;
  std::string method;  // "multinomial" | "poisson" (empty: no intervals)
  std::optional<Interval> accuracy, ipw, ipj, ipw_net, ipj_net;
};

// Replicates whose metric is undefined (e.g. no scored query drawn) are left
// out of that metric's interval.
EfficiencyIntervals bootstrap_efficiency(const std::vector<EfficiencyPoint>& points,
                                         const BootstrapOptions& opts = {});

nlohmann::json to_json(const EfficiencyIntervals& ci);

}  // namespace ipw::metrics
