#pragma once
// What the kGap flag of a window [a, b] should be, from the samples themselves:
// set exactly when two consecutive samples spanning part of the window are more
// than 3 sampling periods apart. Timing tests compare the flag with this rather
// than expect no gap: a loaded machine (a parallel test run) can delay the
// sampler thread that long, and then the flag is right to say so.
#include <cmath>
#include <cstdint>
#include <vector>

#include "ipw/telemetry/sample.h"
#include "ipw/telemetry/sampler.h"

namespace ipw::telemetry {

inline bool samples_have_gap(const std::vector<Sample>& samples, std::int64_t a, std::int64_t b,
                             std::int64_t period_ns) {
  for (std::size_t i = 1; i < samples.size(); ++i) {
    const bool overlaps = samples[i].t_ns > a && samples[i - 1].t_ns < b;
    if (overlaps && samples[i].t_ns - samples[i - 1].t_ns > 3 * period_ns) return true;
  }
  return false;
}

// The period the sampler's trace of its first collector uses for gap detection:
// max(its sampling period, the collector's update period).
inline std::int64_t sample_period_ns(const Sampler& sampler) {
  return std::llround(sampler.describe()[0]["sample_period_s"].get<double>() * 1e9);
}

}  // namespace ipw::telemetry
