#pragma once
// The run summary: accuracy, the IPW family and latency, computed from stored
// query records with the paper's definitions (docs/analysis.md: ratios of means).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/accuracy_tally.h"
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
  // Energy the server spent on queries that failed (their windows end when the failure
  // was detected): part of the run's cost, left out of the means above. Empty when no
  // failed query has an energy figure.
  std::optional<double> failed_energy_j;
  // Reasoning and truncation (docs/analysis.md). `finish_known`: stored queries whose
  // server said why the reply ended; `truncated` of them stopped at the token limit.
  std::size_t finish_known = 0, truncated = 0;
  std::optional<double> truncated_share;
  // Successful queries that streamed thinking; over successful queries with the
  // figures: Σ reasoning tokens / Σ output tokens, Σ reasoning energy / Σ decode energy,
  // and IPJ were the thinking free (accuracy / mean of energy − reasoning energy), the
  // cost of thinking as a ratio to IPJ.
  std::size_t reasoning_queries = 0;
  std::optional<double> reasoning_token_share, reasoning_energy_share, ipj_without_reasoning;
  Distribution ttft_s, tpot_s, latency_s;
  std::string energy_source;  // weakest provenance over the queries: counter < integrated < estimated
};

RunSummary summarize(const std::vector<run::QueryRecord>& queries);

// The same computation one query at a time, for runs too large to hold as
// QueryRecords: memory is a few doubles per query (for the percentiles).
class SummaryBuilder {
 public:
  void add(const run::QueryRecord& q);
  RunSummary finish() const;

 private:
  RunSummary s_;
  AccuracyTally accuracy_;
  std::vector<double> energy_, power_, net_energy_, net_power_, ttft_, tpot_, latency_;
  double out_tokens_ = 0, decode_s_ = 0, token_energy_j_ = 0, energy_tokens_ = 0;
  std::optional<double> failed_energy_j_;
  double reasoning_tokens_ = 0, split_tokens_ = 0, reasoning_j_ = 0, split_decode_j_ = 0;
  std::vector<double> energy_without_reasoning_;
  int worst_ = -1;
};

// Provenance rank: counter 0 < integrated 1 < estimated 2 (weakest wins).
int provenance_rank(const std::string& source);
const char* provenance_name(int rank);  // "none" for rank < 0
nlohmann::json to_json(const RunSummary& s);
nlohmann::json to_json(const Distribution& d);

// Time per output token for one query: decode time / (output tokens − 1).
std::optional<double> tpot_s(const run::QueryRecord& q);

}  // namespace ipw::metrics
