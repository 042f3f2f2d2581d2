#pragma once
// The run summary: accuracy, the IPW family and latency, computed from stored
// query records with the paper's definitions (DESIGN.md §5: ratios of means).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/stats.h"
#include "ipw/run/query_record.h"

namespace ipw::metrics {

struct RunSummary {
  std::size_t queries = 0;   // stored queries (successful + failed)
  std::size_t errors = 0;    // failed queries (counted as incorrect in accuracy)
  std::size_t scored = 0;    // queries with a correctness verdict (includes errors)
  std::size_t correct = 0;
  std::optional<double> accuracy;
  std::optional<Interval> accuracy_ci95;  // Wilson
  std::size_t energy_queries = 0;  // successful queries with an energy figure
  std::optional<double> mean_energy_j, mean_power_w, mean_net_energy_j, mean_net_power_w;
  std::optional<double> ipw, ipj, ipw_net, ipj_net;  // accuracy per W / per J
  std::optional<double> total_energy_j, j_per_output_token, output_tokens_per_s;
  Distribution ttft_s, tpot_s, latency_s;
  std::string energy_source;  // weakest provenance over the queries: counter < integrated < estimated
};

RunSummary summarize(const std::vector<run::QueryRecord>& queries);
nlohmann::json to_json(const RunSummary& s);

// Time per output token for one query: decode time / (output tokens − 1).
std::optional<double> tpot_s(const run::QueryRecord& q);

}  // namespace ipw::metrics
