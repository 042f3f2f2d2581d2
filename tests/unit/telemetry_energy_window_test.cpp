// DomainTrace: energy between two instants, checked against hand-computed values.
#include "ipw/telemetry/energy_window.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "time_units.h"

namespace ipw::telemetry {
namespace {

DomainInfo counter_domain(double wrap_j = 0.0) {
  return {"cpu-package0", "test", "cpu", EnergySource::counter, wrap_j};
}
DomainInfo power_domain(EnergySource src = EnergySource::integrated) {
  return {"gpu0", "test", "gpu", src, 0.0};
}
Sample energy_sample(std::int64_t t_ns, double e, std::optional<double> p = std::nullopt) {
  Sample s;
  s.t_ns = t_ns;
  s.energy_j = e;
  s.power_w = p;
  return s;
}
Sample power_sample(std::int64_t t_ns, double p) {
  Sample s;
  s.t_ns = t_ns;
  s.power_w = p;
  return s;
}

TEST(TelemetryEnergyWindow, FlagsToString) {
  EXPECT_EQ(flags_to_string(0), "");
  EXPECT_EQ(flags_to_string(kShortWindow | kGap), "short_window,gap");
  EXPECT_EQ(flags_to_string(kReset | kWrap | kPartial), "wrap,reset,partial");
  EXPECT_STREQ(to_string(EnergySource::counter), "counter");
  EXPECT_STREQ(to_string(EnergySource::integrated), "integrated");
  EXPECT_STREQ(to_string(EnergySource::estimated), "estimated");
}

TEST(TelemetryEnergyWindow, CounterInterpolatedBetweenBracketingSamples) {
  DomainTrace tr(counter_domain(), {1 * kMs, 10 * kMs});
  // 100 W, then 200 W, then 300 W.
  tr.append(energy_sample(0, 50.0));
  tr.append(energy_sample(10 * kMs, 51.0));
  tr.append(energy_sample(20 * kMs, 53.0));
  tr.append(energy_sample(30 * kMs, 56.0));
  const WindowEnergy w = tr.energy_between(5 * kMs, 25 * kMs);
  ASSERT_TRUE(w.energy_j);
  // C(5 ms) = 0.5 J, C(25 ms) = 4.5 J above the first sample.
  EXPECT_NEAR(*w.energy_j, 4.0, 1e-12);
  EXPECT_EQ(w.source, EnergySource::counter);
  EXPECT_EQ(w.samples, 2);
  EXPECT_EQ(w.flags, 0u);
  EXPECT_NEAR(*w.mean_power_w, 200.0, 1e-9);
  EXPECT_NEAR(*w.peak_power_w, 300.0, 1e-9);
  // An edge exactly on a sample.
  EXPECT_NEAR(*tr.energy_between(10 * kMs, 30 * kMs).energy_j, 5.0, 1e-12);
  EXPECT_EQ(tr.energy_between(10 * kMs, 30 * kMs).samples, 3);
  // Power derived from the counter's slope.
  EXPECT_NEAR(*tr.power_at(15 * kMs), 200.0, 1e-9);
  EXPECT_NEAR(*tr.latest_power_w(), 300.0, 1e-9);
}

TEST(TelemetryEnergyWindow, PowerOnlyIsExactTrapezoidWithInterpolatedEdges) {
  DomainTrace tr(power_domain(), {0, 10 * kMs});
  tr.append(power_sample(0, 100.0));
  tr.append(power_sample(10 * kMs, 300.0));
  tr.append(power_sample(20 * kMs, 100.0));
  tr.append(power_sample(30 * kMs, 100.0));
  const WindowEnergy w = tr.energy_between(5 * kMs, 25 * kMs);
  ASSERT_TRUE(w.energy_j);
  // p(5 ms) = 200: (200+300)/2*5ms + (300+100)/2*10ms + 100*5ms = 1.25 + 2 + 0.5
  EXPECT_NEAR(*w.energy_j, 3.75, 1e-12);
  EXPECT_EQ(w.source, EnergySource::integrated);
  EXPECT_EQ(w.flags, 0u);
  EXPECT_NEAR(*w.peak_power_w, 300.0, 1e-12);
  // A window inside one segment: mean of the edge values x duration.
  EXPECT_NEAR(*tr.energy_between(12 * kMs, 18 * kMs).energy_j, (260.0 + 140.0) / 2 * 0.006, 1e-12);
  EXPECT_NEAR(*tr.power_at(15 * kMs), 200.0, 1e-12);
}

TEST(TelemetryEnergyWindow, PowerOnlyMatchesFineNumericIntegralOnRandomTraces) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> watts(20.0, 400.0);
  std::uniform_int_distribution<std::int64_t> step(1 * kMs, 15 * kMs);
  std::vector<std::pair<std::int64_t, double>> pts;
  DomainTrace tr(power_domain(EnergySource::estimated), {0, 10 * kMs});
  std::int64_t t = 0;
  for (int i = 0; i < 200; ++i) {
    pts.emplace_back(t, watts(rng));
    tr.append(power_sample(t, pts.back().second));
    t += step(rng);
  }
  auto p = [&](double ts) {  // reference piecewise-linear power
    for (std::size_t i = 1; i < pts.size(); ++i) {
      const double a = static_cast<double>(pts[i - 1].first) * 1e-9;
      const double b = static_cast<double>(pts[i].first) * 1e-9;
      if (ts <= b) return pts[i - 1].second + (pts[i].second - pts[i - 1].second) * (ts - a) / (b - a);
    }
    return pts.back().second;
  };
  std::uniform_int_distribution<std::int64_t> edge(0, pts.back().first);
  for (int k = 0; k < 20; ++k) {
    std::int64_t t0 = edge(rng), t1 = edge(rng);
    if (t1 < t0) std::swap(t0, t1);
    // Integrate the reference exactly segment by segment via Simpson (exact for linear pieces).
    std::vector<double> cuts{static_cast<double>(t0) * 1e-9};
    for (const auto& [pt, pw] : pts) {
      if (pt > t0 && pt < t1) cuts.push_back(static_cast<double>(pt) * 1e-9);
    }
    cuts.push_back(static_cast<double>(t1) * 1e-9);
    double ref = 0.0;
    for (std::size_t i = 1; i < cuts.size(); ++i) {
      const double a = cuts[i - 1], b = cuts[i];
      ref += (b - a) / 6.0 * (p(a) + 4.0 * p((a + b) / 2.0) + p(b));
    }
    const WindowEnergy w = tr.energy_between(t0, t1);
    ASSERT_TRUE(w.energy_j);
    EXPECT_NEAR(*w.energy_j, ref, 1e-9 * std::max(1.0, ref)) << t0 << ".." << t1;
    EXPECT_EQ(w.source, EnergySource::estimated);  // integrating a model stays a model
  }
}

TEST(TelemetryEnergyWindow, WrapIsUnwrappedAndFlagged) {
  DomainTrace tr(counter_domain(100.0), {1 * kMs, 10 * kMs});
  tr.append(energy_sample(0, 90.0));
  tr.append(energy_sample(10 * kMs, 95.0));
  tr.append(energy_sample(20 * kMs, 2.0));  // wrapped: +7 J
  tr.append(energy_sample(30 * kMs, 10.0));
  // Unwrapped: 0, 5, 12, 20.
  const WindowEnergy w = tr.energy_between(5 * kMs, 25 * kMs);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 16.0 - 2.5, 1e-9);
  EXPECT_EQ(w.flags, static_cast<std::uint32_t>(kWrap));
  EXPECT_EQ(w.source, EnergySource::counter);
  const WindowEnergy after = tr.energy_between(21 * kMs, 29 * kMs);
  EXPECT_NEAR(*after.energy_j, 6.4, 1e-9);
  EXPECT_EQ(after.flags, 0u);
}

TEST(TelemetryEnergyWindow, DropBeyondWhatAWrapExplainsIsAReset) {
  // Wrap range 100 J: 10 -> 5 would mean advancing 95 J in 10 ms, more than half
  // the range between two samples, so it is a reset, not a wrap.
  DomainTrace tr(counter_domain(100.0), {1 * kMs, 10 * kMs});
  tr.append(energy_sample(0, 8.0));
  tr.append(energy_sample(10 * kMs, 10.0));
  tr.append(energy_sample(20 * kMs, 5.0));
  tr.append(energy_sample(30 * kMs, 6.0));
  const WindowEnergy w = tr.energy_between(5 * kMs, 25 * kMs);
  EXPECT_TRUE(w.flags & kReset);
  EXPECT_FALSE(w.flags & kWrap);
  EXPECT_FALSE(w.energy_j);  // no power to integrate: unknown, never invented
}

TEST(TelemetryEnergyWindow, ResetTakesEnergyFromPowerWhenAvailable) {
  DomainTrace tr(counter_domain(), {1 * kMs, 10 * kMs});
  tr.append(energy_sample(0, 1000.0, 100.0));
  tr.append(energy_sample(10 * kMs, 1001.0, 100.0));
  tr.append(energy_sample(20 * kMs, 5.0, 100.0));  // driver reload: counter restarts
  tr.append(energy_sample(30 * kMs, 6.0, 100.0));
  const WindowEnergy w = tr.energy_between(5 * kMs, 25 * kMs);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 2.0, 1e-9);  // 100 W x 20 ms, not 10^3 J
  EXPECT_EQ(w.source, EnergySource::integrated);
  EXPECT_EQ(w.flags, static_cast<std::uint32_t>(kReset));
  // Windows after the reset use the counter again.
  const WindowEnergy after = tr.energy_between(21 * kMs, 29 * kMs);
  EXPECT_NEAR(*after.energy_j, 0.8, 1e-9);
  EXPECT_EQ(after.source, EnergySource::counter);
  EXPECT_EQ(after.flags, 0u);
}

TEST(TelemetryEnergyWindow, AnyDropWithoutWrapRangeIsAReset) {
  DomainTrace tr(counter_domain(0.0), {1 * kMs, 10 * kMs});
  tr.append(energy_sample(0, 10.0));
  tr.append(energy_sample(10 * kMs, 9.999));
  tr.append(energy_sample(20 * kMs, 10.5));
  EXPECT_TRUE(tr.energy_between(0, 20 * kMs).flags & kReset);
  EXPECT_FALSE(tr.energy_between(0, 20 * kMs).energy_j);
  EXPECT_NEAR(*tr.energy_between(10 * kMs, 20 * kMs).energy_j, 0.501, 1e-9);
}

TEST(TelemetryEnergyWindow, LongSamplingIntervalIsAGap) {
  DomainTrace tr(power_domain(), {0, 10 * kMs});
  for (std::int64_t t : {0, 10, 20, 60, 70}) tr.append(power_sample(t * kMs, 50.0));
  const WindowEnergy w = tr.energy_between(25 * kMs, 65 * kMs);
  EXPECT_EQ(w.flags, static_cast<std::uint32_t>(kGap));
  EXPECT_NEAR(*w.energy_j, 2.0, 1e-12);  // still the interpolated integral
  EXPECT_EQ(tr.energy_between(0, 20 * kMs).flags, 0u);
  EXPECT_EQ(tr.energy_between(60 * kMs, 70 * kMs).flags, 0u);
  // Exactly 3 periods is not a gap.
  DomainTrace ok(power_domain(), {0, 10 * kMs});
  ok.append(power_sample(0, 1.0));
  ok.append(power_sample(30 * kMs, 1.0));
  EXPECT_EQ(ok.energy_between(0, 30 * kMs).flags, 0u);
}

TEST(TelemetryEnergyWindow, ShortWindowUsesInstantaneousPowerTimesDuration) {
  // Counter updating every 100 ms: a 30 ms window cannot be read off the counter.
  DomainTrace tr(counter_domain(), {100 * kMs, 100 * kMs});
  tr.append(energy_sample(0, 0.0));
  tr.append(energy_sample(100 * kMs, 10.0));
  tr.append(energy_sample(200 * kMs, 30.0));
  const WindowEnergy w = tr.energy_between(120 * kMs, 150 * kMs);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 200.0 * 0.030, 1e-9);  // slope 200 W at the midpoint
  EXPECT_EQ(w.flags, static_cast<std::uint32_t>(kShortWindow));
  EXPECT_EQ(w.source, EnergySource::counter);
  EXPECT_EQ(w.samples, 0);

  // With a measured power reading, that is what is used: it is then an integral of power.
  DomainTrace pw(counter_domain(), {100 * kMs, 10 * kMs});
  pw.append(energy_sample(0, 0.0, 150.0));
  pw.append(energy_sample(100 * kMs, 10.0, 250.0));
  const WindowEnergy w2 = pw.energy_between(40 * kMs, 60 * kMs);
  EXPECT_NEAR(*w2.energy_j, 200.0 * 0.020, 1e-9);
  EXPECT_EQ(w2.source, EnergySource::integrated);
  EXPECT_TRUE(w2.flags & kShortWindow);
  // A long enough window on the same trace uses the counter.
  EXPECT_NEAR(*pw.energy_between(0, 100 * kMs).energy_j, 10.0, 1e-12);
  EXPECT_EQ(pw.energy_between(0, 100 * kMs).source, EnergySource::counter);
}

TEST(TelemetryEnergyWindow, WindowsBeyondTheSamplesHoldTheEdgePowerAndAreFlagged) {
  DomainTrace p(power_domain(), {0, 10 * kMs});
  p.append(power_sample(10 * kMs, 100.0));
  p.append(power_sample(20 * kMs, 200.0));
  const WindowEnergy w = p.energy_between(0, 30 * kMs);
  ASSERT_TRUE(w.energy_j);
  // 100 W x 10 ms before + 1.5 J inside + 200 W x 10 ms after.
  EXPECT_NEAR(*w.energy_j, 1.0 + 1.5 + 2.0, 1e-12);
  EXPECT_EQ(w.flags, static_cast<std::uint32_t>(kPartial));

  DomainTrace c(counter_domain(), {1 * kMs, 10 * kMs});
  c.append(energy_sample(0, 0.0));
  c.append(energy_sample(10 * kMs, 1.0));
  const WindowEnergy wc = c.energy_between(5 * kMs, 20 * kMs);
  EXPECT_NEAR(*wc.energy_j, 0.5 + 1.0, 1e-12);  // slope 100 W held past the last sample
  EXPECT_EQ(wc.flags, static_cast<std::uint32_t>(kPartial));

  // One counter sample and no power: nothing to extrapolate with.
  DomainTrace one(counter_domain(), {1 * kMs, 10 * kMs});
  one.append(energy_sample(0, 3.0));
  EXPECT_FALSE(one.energy_between(0, 5 * kMs).energy_j);
  EXPECT_NEAR(*one.energy_between(0, 0).energy_j, 0.0, 1e-12);
}

TEST(TelemetryEnergyWindow, NoSamplesMeansUnknownEnergy) {
  DomainTrace tr(power_domain(), {0, 10 * kMs});
  const WindowEnergy w = tr.energy_between(0, 10 * kMs);
  EXPECT_FALSE(w.energy_j);
  EXPECT_EQ(w.samples, 0);
  EXPECT_FALSE(w.mean_power_w);
  EXPECT_FALSE(tr.power_at(0));
  EXPECT_EQ(tr.size(), 0u);
}

TEST(TelemetryEnergyWindow, TemperatureAndMemoryStatistics) {
  DomainTrace tr(power_domain(), {0, 10 * kMs});
  const double temps[] = {40, 50, 60, 70};
  const double mems[] = {1000, 3000, 2000, 1500};
  for (int i = 0; i < 4; ++i) {
    Sample s = power_sample(i * 10 * kMs, 100.0);
    s.temperature_c = temps[i];
    s.memory_mb = mems[i];
    tr.append(s);
  }
  const WindowEnergy w = tr.energy_between(5 * kMs, 25 * kMs);
  EXPECT_NEAR(*w.mean_temperature_c, 55.0, 1e-12);  // readings at 10 and 20 ms
  EXPECT_NEAR(*w.max_memory_mb, 3000.0, 1e-12);
  // Between two readings: interpolated at the midpoint.
  EXPECT_NEAR(*tr.energy_between(12 * kMs, 14 * kMs).mean_temperature_c, 53.0, 1e-12);
}

TEST(TelemetryEnergyWindow, RejectsMisuse) {
  DomainTrace tr(power_domain(), {0, 10 * kMs});
  tr.append(power_sample(10 * kMs, 1.0));
  EXPECT_THROW(tr.append(power_sample(5 * kMs, 1.0)), std::invalid_argument);
  EXPECT_THROW((void)tr.energy_between(10, 5), std::invalid_argument);
}

TEST(TelemetryEnergyWindow, NonFiniteReadingsAreIgnored) {
  DomainTrace tr(power_domain(), {0, 10 * kMs});
  tr.append(power_sample(0, 100.0));
  tr.append(power_sample(10 * kMs, std::nan("")));
  tr.append(power_sample(20 * kMs, 100.0));
  EXPECT_NEAR(*tr.energy_between(0, 20 * kMs).energy_j, 2.0, 1e-12);
  EXPECT_EQ(tr.energy_between(0, 20 * kMs).samples, 3);
}

}  // namespace
}  // namespace ipw::telemetry

namespace ipw::telemetry {
namespace {

// A counter that stops moving (a dead driver, a file replaced under the reader) is
// frozen, not idle: past kStalePeriods of its period, windows over the frozen stretch
// are flagged stale and their energy is unknown, never 0 J (docs/reliability.md).
TEST(TelemetryEnergyWindow, AFrozenCounterIsStaleAndItsEnergyUnknownNeverZero) {
  DomainTrace tr(counter_domain(), {1 * kMs, 10 * kMs});  // 1 ms updates, 10 ms samples
  double e = 0;
  std::int64_t t = 0;
  for (; t <= 1000 * kMs; t += 10 * kMs, e += 1.0) tr.append(energy_sample(t, e));  // 100 W for 1 s
  const double frozen = e - 1.0;
  for (; t <= 3000 * kMs; t += 10 * kMs) tr.append(energy_sample(t, frozen));  // then frozen for 2 s
  const WindowEnergy before = tr.energy_between(200 * kMs, 800 * kMs);
  ASSERT_TRUE(before.energy_j);
  EXPECT_NEAR(*before.energy_j, 60.0, 1e-9);
  EXPECT_EQ(before.flags, 0u);
  for (auto [a, b] : {std::pair{1500 * kMs, 2500 * kMs}, std::pair{900 * kMs, 1200 * kMs}}) {
    const WindowEnergy w = tr.energy_between(a, b);
    EXPECT_FALSE(w.energy_j) << "a frozen counter must not read " << w.energy_j.value_or(-1) << " J";
    EXPECT_NE(w.flags & kStale, 0u) << flags_to_string(w.flags);
    EXPECT_FALSE(tr.span_known(a, b));
  }
  EXPECT_TRUE(tr.span_known(200 * kMs, 800 * kMs));
}

TEST(TelemetryEnergyWindow, AShortPauseOfTheCounterIsNotStale) {
  DomainTrace tr(counter_domain(), {10 * kMs, 10 * kMs});
  double e = 0;
  std::int64_t t = 0;
  for (int i = 0; i < 300; ++i, t += 10 * kMs) {
    if (i < 100 || i > 150) e += 0.5;  // flat for 50 periods: fewer than kStalePeriods
    tr.append(energy_sample(t, e));
  }
  const WindowEnergy w = tr.energy_between(900 * kMs, 1600 * kMs);
  ASSERT_TRUE(w.energy_j);
  EXPECT_EQ(w.flags & kStale, 0u);
}

TEST(TelemetryEnergyWindow, AFrozenCounterWithPowerFallsBackToThePowerIntegral) {
  DomainTrace tr(counter_domain(), {1 * kMs, 10 * kMs});
  std::int64_t t = 0;
  for (; t <= 3000 * kMs; t += 10 * kMs) tr.append(energy_sample(t, 5.0, 80.0));  // counter frozen, 80 W
  const WindowEnergy w = tr.energy_between(1000 * kMs, 2000 * kMs);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NEAR(*w.energy_j, 80.0, 1e-6);
  EXPECT_EQ(w.source, EnergySource::integrated);
  EXPECT_NE(w.flags & kStale, 0u);
  ASSERT_TRUE(tr.cumulative_j(2000 * kMs) && tr.cumulative_j(1000 * kMs));
  EXPECT_NEAR(*tr.cumulative_j(2000 * kMs) - *tr.cumulative_j(1000 * kMs), 80.0, 1e-6);
}

}  // namespace
}  // namespace ipw::telemetry
