#pragma once
// When a sweep's stages stop paying (docs/load.md, --stop-on-saturation): a stage
// saturates the server when its output throughput gains less than 5 % over the
// previous stage's while its median end-to-end latency grows more than 50 %.
// More load then buys queueing, not work.
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/stages.h"

namespace ipw::metrics {

inline constexpr double kSaturationMinThroughputGain = 0.05;
inline constexpr double kSaturationMaxLatencyGrowth = 0.50;

struct Saturation {
  int stage = 0;                 // the stage that tripped the rule
  int previous_stage = 0;        // the stage it is compared with
  double throughput_gain = 0;    // its output tokens/s over the previous stage's, minus 1
  double p50_latency_growth = 0; // its p50 E2E latency over the previous stage's, minus 1
};

// The first stage (in sweep order) that trips the rule against the stage before it;
// pairs missing a throughput or a latency are skipped.
std::optional<Saturation> find_saturation(const std::vector<StageMetrics>& stages);
nlohmann::json to_json(const std::optional<Saturation>& s);

}  // namespace ipw::metrics
