#pragma once
// Hybrid local/cloud routing simulation (the paper's §5 analysis; docs/analysis.md, "Routing").
// Over the items every run answered:
//   all-cloud   every query goes to the cloud run (the baseline);
//   oracle      each query goes to the least-energy local run that answers it
//               correctly, else to the cloud;
//   p-accurate  the router makes the oracle's decision with probability p; a
//               wrong decision falls back to the cloud (so it costs the cloud's
//               energy, compute and price, and gets the cloud's answer). Figures
//               are expectations over that coin, hence deterministic.
// Energy in J, compute in parameter-tokens (parameters x (input + output
// tokens); FLOPs are about twice that), cost in USD.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/coverage.h"
#include "ipw/metrics/stats.h"

namespace ipw::metrics {

struct RoutingOptions {
  std::vector<double> accuracy_levels = {0.5, 0.6, 0.7, 0.8, 0.9};
  // Per run (locals first, the cloud last): parameter count; empty = unknown
  // (compute figures then need every run's count and are left out).
  std::vector<std::optional<double>> parameters;
  double cloud_usd_per_mtok_in = 0, cloud_usd_per_mtok_out = 0;
  double local_usd_per_mtok_in = 0, local_usd_per_mtok_out = 0;
  double usd_per_kwh = 0;  // electricity price applied to local energy
  // Used for cloud items without measured energy (a cloud API reports none):
  // energy = (input + output tokens) x this. Empty: cloud energy must be measured.
  std::optional<double> cloud_j_per_token;
};

struct RouterResult {
  std::string name;  // "all-cloud", "oracle", "p=0.80"
  double p = 1.0;
  std::optional<double> accuracy, energy_j, compute_param_tokens, cost_usd;
  // Relative saving against all-cloud: 1 - router / all-cloud.
  std::optional<double> energy_saved, compute_saved, cost_saved;
  double local_share = 0;  // expected share of queries answered locally
  std::vector<double> per_run_queries;  // expected queries sent to each run (locals, cloud)
};

struct RoutingResult {
  std::size_t items = 0;          // items every run answered (and scored, for correctness)
  std::size_t cloud_energy_measured = 0;  // items whose cloud energy was measured
  bool cloud_energy_assumed = false;      // cloud_j_per_token filled the rest
  RouterResult all_cloud;
  std::vector<RouterResult> routers;  // oracle first, then each accuracy level
  std::vector<int> oracle_choice;     // per item of the table: local run index, or -1 (cloud)
};

// `table` holds the local runs first and the cloud run last.
RoutingResult simulate_routing(const OutcomeTable& table, const RoutingOptions& opts);

// ---- Arrival load: the same routers under a stream of arrivals ----
// One local accelerator serves every local model, one query at a time (batch 1,
// FIFO); the cloud has unlimited capacity. A query routed locally whose wait
// would exceed max_queue_s overflows to the cloud.
struct LoadOptions {
  std::vector<double> arrivals_s;  // sorted arrival instants
  double max_queue_s = 30.0;
  std::uint64_t seed = 1;  // item choice and the p-router's coin
};

struct LoadResult {
  std::string router;
  std::size_t arrivals = 0, local = 0, overflow = 0, cloud = 0;
  double duration_s = 0;         // first arrival to last completion
  double local_utilisation = 0;  // local busy time / duration
  Distribution latency_s;        // wait + service
  std::optional<double> energy_j, cost_usd;
};

std::vector<double> poisson_arrivals(double rate_per_s, std::size_t count, std::uint64_t seed);
std::vector<LoadResult> simulate_load(const OutcomeTable& table, const RoutingResult& routing,
                                      const RoutingOptions& opts, const LoadOptions& load);

nlohmann::json to_json(const RoutingResult& r, const std::vector<std::string>& labels);
nlohmann::json to_json(const std::vector<LoadResult>& load);

}  // namespace ipw::metrics
