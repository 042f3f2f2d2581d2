#pragma once
// What the kGap flag of a window [a, b] should be, from the samples themselves:
// set exactly when two consecutive samples spanning part of the window are more
// than 3 sampling periods apart. Timing tests compare the flag with this rather
// than expect no gap: a loaded machine (a parallel test run) can delay the
// sampler thread that long, and then the flag is right to say so.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "ipw/common/clock.h"
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

// Waits (up to timeout_ns) until the sampler has stored a reading stamped after t_ns.
// Sampler::wait_for_sample_after says a read happened after t, but a read can come back
// empty (a remote stream still connecting), and a window whose edge lies beyond the
// stored readings is `partial`: tests that claim a window's energy wait for this.
inline bool wait_for_stored_sample(const Sampler& sampler, std::int64_t t_ns, std::int64_t timeout_ns) {
  const std::int64_t until = steady_clock().now_ns() + timeout_ns;
  while (true) {
    const std::vector<Sample> samples = sampler.samples(0);
    if (!samples.empty() && samples.back().t_ns > t_ns) return true;
    if (steady_clock().now_ns() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace ipw::telemetry
