#include "ipw/monitor/energy_total.h"

#include <gtest/gtest.h>

#include "time_units.h"

namespace ipw::monitor {
namespace {

using telemetry::DomainInfo;
using telemetry::EnergySource;
using telemetry::Reading;

Reading counter(double j) {
  Reading r;
  r.energy_j = j;
  return r;
}
Reading power(double w) {
  Reading r;
  r.power_w = w;
  return r;
}

TEST(MonitorEnergyTotal, CounterDifferencesAndSlopePower) {
  EnergyTotal t(DomainInfo{"gpu0", "", "gpu", EnergySource::counter, 0});
  EXPECT_FALSE(t.has_energy());
  t.add(0, counter(1000));
  EXPECT_DOUBLE_EQ(t.total_j(), 0);  // starts at 0, not at the raw counter
  EXPECT_FALSE(t.power_w());
  t.add(2 * kS, counter(1300));
  EXPECT_DOUBLE_EQ(t.total_j(), 300);
  ASSERT_TRUE(t.power_w());
  EXPECT_DOUBLE_EQ(*t.power_w(), 150);
  EXPECT_TRUE(t.has_energy());
}

TEST(MonitorEnergyTotal, WrapIsUndoneAndResetIsNotReadAsWrap) {
  EnergyTotal t(DomainInfo{"cpu-package0", "", "cpu", EnergySource::counter, 1000});
  t.add(0, counter(900));
  t.add(1 * kS, counter(50));  // wrapped: 100 + 50
  EXPECT_DOUBLE_EQ(t.total_j(), 150);
  EXPECT_EQ(t.wraps(), 1u);
  t.add(2 * kS, counter(100));
  EXPECT_DOUBLE_EQ(t.total_j(), 200);
  // Backwards by far more than half a wrap: a reset, charged nothing (no power known).
  EnergyTotal r(DomainInfo{"gpu0", "", "gpu", EnergySource::counter, 1000});
  r.add(0, counter(700));
  r.add(1 * kS, counter(300));  // would be a 600 J advance if it wrapped: more than half the range
  EXPECT_DOUBLE_EQ(r.total_j(), 0);
  EXPECT_EQ(r.resets(), 1u);
  EXPECT_EQ(r.wraps(), 0u);
}

TEST(MonitorEnergyTotal, ResetWithPowerIsChargedFromPower) {
  EnergyTotal t(DomainInfo{"gpu0", "", "gpu", EnergySource::counter, 0});
  Reading a = counter(5000);
  a.power_w = 100;
  Reading b = counter(3);
  b.power_w = 300;
  t.add(0, a);
  t.add(2 * kS, b);
  EXPECT_DOUBLE_EQ(t.total_j(), 400);  // trapezoid (100 + 300) / 2 * 2 s
  EXPECT_EQ(t.resets(), 1u);
}

TEST(MonitorEnergyTotal, PowerOnlyIsIntegratedAndPauseChargesNothing) {
  EnergyTotal t(DomainInfo{"soc", "", "soc", EnergySource::integrated, 0});
  t.add(0, power(10));
  t.add(1 * kS, power(30));
  EXPECT_DOUBLE_EQ(t.total_j(), 20);
  t.pause();
  t.add(100 * kS, power(30));  // 99 s unsampled: not guessed
  EXPECT_DOUBLE_EQ(t.total_j(), 20);
  t.add(101 * kS, power(30));
  EXPECT_DOUBLE_EQ(t.total_j(), 50);
  // Out-of-order readings are ignored.
  t.add(50 * kS, power(1000));
  EXPECT_DOUBLE_EQ(t.total_j(), 50);
}

TEST(MonitorEnergyTotal, TemperatureOnlyReadingDoesNotBreakIntegration) {
  EnergyTotal t(DomainInfo{"soc", "", "soc", EnergySource::integrated, 0});
  t.add(0, power(10));
  Reading temp;
  temp.temperature_c = 50;
  t.add(kS / 2, temp);
  t.add(1 * kS, power(10));
  EXPECT_DOUBLE_EQ(t.total_j(), 10);
}

}  // namespace
}  // namespace ipw::monitor
