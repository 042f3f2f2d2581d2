#include "ipw/metrics/saturation.h"

namespace ipw::metrics {

std::optional<Saturation> find_saturation(const std::vector<StageMetrics>& stages) {
  for (std::size_t i = 1; i < stages.size(); ++i) {
    const StageMetrics& a = stages[i - 1];
    const StageMetrics& b = stages[i];
    const auto& la = a.queries.latency_s.p50;
    const auto& lb = b.queries.latency_s.p50;
    if (!a.output_tokens_per_s || !b.output_tokens_per_s || *a.output_tokens_per_s <= 0 || !la || !lb || *la <= 0) {
      continue;
    }
    Saturation s{b.stage, a.stage, *b.output_tokens_per_s / *a.output_tokens_per_s - 1.0, *lb / *la - 1.0};
    if (s.throughput_gain < kSaturationMinThroughputGain && s.p50_latency_growth > kSaturationMaxLatencyGrowth) {
      return s;
    }
  }
  return std::nullopt;
}

nlohmann::json to_json(const std::optional<Saturation>& s) {
  if (!s) return nullptr;
  return {{"stage", s->stage},
          {"previous_stage", s->previous_stage},
          {"throughput_gain", s->throughput_gain},
          {"p50_latency_growth", s->p50_latency_growth},
          {"rule", {{"min_throughput_gain", kSaturationMinThroughputGain},
                    {"max_p50_latency_growth", kSaturationMaxLatencyGrowth}}}};
}

}  // namespace ipw::metrics
