// The attribution-error benchmark's harness (bench/attribution_sim.h) checked
// on traces whose integrals can be done by hand, so the benchmark's table
// cannot silently be wrong: the ground truth, the sensor models, the baseline's
// arithmetic and ipw's path through DomainTrace + run::attribute.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "../../bench/attribution_sim.h"  // header-only, shared with bench/attribution_error_bench.cpp
#include "time_units.h"

namespace ipw::bench {
namespace {

// 100 W for 1 s, a linear ramp to 300 W over the next second, then 300 W; a
// step down to 0 W at 4 s.
PowerProfile hand_profile() {
  PowerProfile p;
  p.add(0, 100);
  p.add(1 * kS, 100);
  p.add(2 * kS, 300);
  p.add(4 * kS, 300);
  p.add(4 * kS, 0);
  p.add(5 * kS, 0);
  return p;
}

ReadTiming exact_timing(std::int64_t period) {
  ReadTiming t;
  t.period_ns = period;
  t.jitter_ns = 0;
  t.stall_probability = 0;
  return t;
}

TEST(AttributionSim, GroundTruthIsTheHandIntegral) {
  const PowerProfile p = hand_profile();
  // [0.5, 2.5] s: 100 W × 0.5 s + (100 + 300)/2 W × 1 s + 300 W × 0.5 s = 50 + 200 + 150 J.
  EXPECT_NEAR(p.energy_between(500 * kMs, 2500 * kMs), 400.0, 1e-9);
  // Across the step at 4 s: 300 W × 0.1 s + 0 W × 0.1 s.
  EXPECT_NEAR(p.energy_between(3900 * kMs, 4100 * kMs), 30.0, 1e-9);
  EXPECT_DOUBLE_EQ(p.power_at(4 * kS), 0.0);  // after a step the later power applies
  EXPECT_DOUBLE_EQ(p.power_at(1500 * kMs), 200.0);
  // Ripple: ∫ 50 sin(2π·1 Hz·t) over half a period = 50/π J; over a whole one, 0.
  PowerProfile r;
  r.add(0, 100);
  r.add(10 * kS, 100);
  r.add_ripple(0, 10 * kS, 50, 1.0);
  EXPECT_NEAR(r.energy_between(0, 500 * kMs), 50.0 + 50.0 / kPi, 1e-9);
  EXPECT_NEAR(r.energy_between(2 * kS, 3 * kS), 100.0, 1e-9);
}

TEST(AttributionSim, SensorsShowTheLatchedQuantisedValue) {
  const PowerProfile p = hand_profile();
  SensorModel counter{"c", true, 1e-3, 1 * kMs, 0, 0, 1000.0};
  // Read 0.5 ms after the update at 1.000 s: that update's 100 J, plus the offset.
  EXPECT_NEAR(counter.value_at(p, 1 * kS + 500'000), 1100.0, 1e-9);
  // 1.5 s: 100 + (100 + 200)/2 × 0.5 = 175 J; quantised down to the mJ below.
  counter.quantum = 1.0;
  EXPECT_NEAR(counter.value_at(p, 1500 * kMs + 1), 1175.0, 1e-9);
  EXPECT_NEAR(counter.value_at(p, 1500 * kMs + 999'999), 1175.0, 1e-9);
  // A power sensor averaging its last 10 ms interval: at 2.0051 s it shows the
  // mean over [1.99, 2.00] s of the ramp, i.e. its value at 1.995 s = 299 W.
  SensorModel power{"p", false, 1e-3, 10 * kMs, 0, 0, 0};
  EXPECT_NEAR(power.value_at(p, 2 * kS + 5'100'000), 299.0, 1e-9);
}

TEST(AttributionSim, BaselineArithmeticMatchesTheHandCount) {
  // Constant 100 W. The baseline loop reads, receives 3 ms later, sleeps 10 ms:
  // one stamped sample every 13 ms whatever its phase, so a 130 ms window holds
  // exactly 10 of them. Differencing the first and last counter samples inside
  // covers 9 × 13 ms = 117 ms: 11.7 J instead of 13 J.
  PowerProfile flat;
  flat.add(0, 100);
  flat.add(2 * kS, 100);
  Trial tr{flat, 1000 * kMs, 1130 * kMs, 1500 * kMs};
  ReadTiming base = exact_timing(10 * kMs);
  base.receipt_min_ns = 3 * kMs;
  SensorModel counter{"c", true, 1e-9, 1, 0, 0, 0};
  SensorModel power{"p", false, 1e-9, 1, 0, 0, 0};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    EXPECT_NEAR(baseline_energy(tr, counter, base, rng), 11.7, 1e-6) << seed;
    // Summing P_i·(s_i − s_{i−1}) over the same 10 samples: 10 × 13 ms × 100 W, exact here.
    EXPECT_NEAR(baseline_energy(tr, power, base, rng), 13.0, 1e-6) << seed;
  }
}

TEST(AttributionSim, IpwPathIsExactWhereLinearInterpolationIs) {
  std::mt19937_64 rng(7);
  // A linear ramp P = 100 + 50·t W read by an (almost) instantaneous power
  // sensor: the piecewise-linear integral through the samples is exact.
  PowerProfile ramp;
  ramp.add(0, 100);
  ramp.add(3 * kS, 250);
  const Trial tr{ramp, 1 * kS, 2 * kS, 2500 * kMs};
  SensorModel power{"p", false, 1e-12, 1, 0, 0, 0};
  EXPECT_NEAR(ramp.energy_between(1 * kS, 2 * kS), 175.0, 1e-9);  // 100 + 50 × 1.5
  ReadTiming jittery = exact_timing(10 * kMs);
  jittery.jitter_ns = 300'000;  // uneven sampling must not matter for a linear power
  // (1e-4 J: the 1 ns "instantaneous" mean is a difference of ~200 J integrals,
  // which keeps ~1e-7 of double rounding per reading.)
  EXPECT_NEAR(ipw_energy(tr, power, jittery, rng), 175.0, 1e-4);
  // A constant 100 W read through a counter: the interpolated counter is exact
  // at any instant, so a 20 ms window between samples is 2 J, edges reads or not.
  PowerProfile flat;
  flat.add(0, 100);
  flat.add(2 * kS, 100);
  const Trial short_q{flat, 1003 * kMs, 1023 * kMs, 1500 * kMs};
  SensorModel counter{"c", true, 1e-9, 1, 0, 0, 12345.0};
  std::uint32_t flags = 99;
  EXPECT_NEAR(ipw_energy(short_q, counter, jittery, rng, &flags), 2.0, 1e-6);
  EXPECT_EQ(flags, 0u);
  EdgeReads edges;
  edges.on = true;
  EXPECT_NEAR(ipw_energy(short_q, counter, jittery, rng, nullptr, edges), 2.0, 1e-6);
  // run_trial's truth is the profile's integral over the window.
  const TrialResult r = run_trial(short_q, counter, jittery, exact_timing(10 * kMs), rng);
  EXPECT_NEAR(r.truth_j, 2.0, 1e-9);
  EXPECT_NEAR(rel_error_pct(r.ipw_j, r.truth_j), 0.0, 1e-4);
}

TEST(AttributionSim, StatsAreNearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 20; i >= 1; --i) v.push_back(i);
  const Stats s = stats(v);
  EXPECT_DOUBLE_EQ(s.median, 10.0);
  EXPECT_DOUBLE_EQ(s.p95, 19.0);
  EXPECT_DOUBLE_EQ(rel_error_pct(101.0, 100.0), 1.0);
}

}  // namespace
}  // namespace ipw::bench
