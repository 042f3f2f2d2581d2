#include "ipw/run/attribution.h"

#include <gtest/gtest.h>

#include "ipw/run/session.h"

namespace ipw::run {
namespace {

// A domain drawing a constant power: energy over a window is power x duration.
WindowFn constant_power(std::vector<double> power_w, telemetry::EnergySource src) {
  return [power_w, src](int d, std::int64_t a, std::int64_t b) {
    telemetry::WindowEnergy w;
    w.energy_j = power_w.at(static_cast<std::size_t>(d)) * static_cast<double>(b - a) * 1e-9;
    w.source = src;
    w.samples = 3;
    return w;
  };
}

// One query alone in its stage, through the ledger as the profiler does it.
QueryRecord alone(const WindowFn& window, const std::vector<int>& selected, std::vector<std::optional<double>> idle_w,
                  std::int64_t t_start, std::int64_t t_first, std::int64_t t_end) {
  const CumulativeFn f = [&](int k, std::int64_t t) {
    return window(selected.at(static_cast<std::size_t>(k)), 0, t).energy_j;
  };
  std::vector<std::optional<double>> idle;
  for (int d : selected) idle.push_back(static_cast<std::size_t>(d) < idle_w.size() ? idle_w[static_cast<std::size_t>(d)] : std::nullopt);
  EnergyLedger ledger(ShareRule::fitted, selected.size(), f, idle);
  ledger.begin(t_start);
  QueryActivity a;
  a.t_start_ns = t_start;
  a.t_first_ns = t_first;
  a.t_end_ns = t_end;
  ledger.add(a);
  const auto shares = ledger.close(t_end);
  QueryRecord q;
  fill_energy(window, selected, shares.at(0), t_start, t_first, t_end, q);
  return q;
}

TEST(Attribution, SumsSelectedDomainsAndSplitsPrefillDecode) {
  // gpu0 100 W, cpu 20 W; 1 s query with the first token at 0.25 s; idle 10 W + 5 W.
  const QueryRecord q = alone(constant_power({100, 20}, telemetry::EnergySource::counter), {0, 1}, {10, 5},
                              1'000'000'000, 1'250'000'000, 2'000'000'000);
  EXPECT_DOUBLE_EQ(*q.energy_j, 120.0);
  EXPECT_DOUBLE_EQ(*q.prefill_energy_j, 30.0);
  EXPECT_DOUBLE_EQ(*q.decode_energy_j, 90.0);
  EXPECT_DOUBLE_EQ(*q.net_energy_j, 105.0);
  EXPECT_EQ(q.energy_source, "counter");
  ASSERT_EQ(q.domains.size(), 2u);
  EXPECT_DOUBLE_EQ(*q.domains[1].energy_j, 20.0);
}

TEST(Attribution, NoIdleBaselineLeavesNetEnergyUnknown) {
  // --idle-seconds 0: no baseline. Net of idle is unknown, not the gross figure.
  const QueryRecord q = alone(constant_power({100, 20}, telemetry::EnergySource::counter), {0, 1}, {}, 0, 0, 1'000'000'000);
  EXPECT_DOUBLE_EQ(*q.energy_j, 120.0);
  EXPECT_FALSE(q.net_energy_j);
  // A baseline for only one of the two domains: still unknown.
  const QueryRecord r = alone(constant_power({100, 20}, telemetry::EnergySource::counter), {0, 1},
                              {10.0, std::nullopt}, 0, 0, 1'000'000'000);
  EXPECT_FALSE(r.net_energy_j);
}

TEST(Attribution, UnselectedDomainsAreLeftOut) {
  const QueryRecord q = alone(constant_power({100, 20}, telemetry::EnergySource::counter), {0}, {}, 0, 0, 500'000'000);
  EXPECT_DOUBLE_EQ(*q.energy_j, 50.0);
  EXPECT_FALSE(q.prefill_energy_j);  // no first token: no split
}

TEST(Attribution, AnUnknownDomainMakesTheTotalUnknown) {
  WindowFn fn = [](int d, std::int64_t a, std::int64_t b) {
    telemetry::WindowEnergy w;
    if (d == 0) w.energy_j = static_cast<double>(b - a) * 1e-9;
    w.source = telemetry::EnergySource::counter;
    w.flags = d == 1 ? telemetry::kReset : 0u;
    return w;
  };
  const QueryRecord q = alone(fn, {0, 1}, {}, 0, 1, 10);
  EXPECT_FALSE(q.energy_j);
  EXPECT_TRUE(q.energy_flags & telemetry::kReset);
}

TEST(Attribution, EstimatedProvenanceIsCarried) {
  const QueryRecord q = alone(constant_power({7}, telemetry::EnergySource::estimated), {0}, {}, 0, 0, 1'000'000'000);
  EXPECT_EQ(q.energy_source, "estimated");
}

TEST(SelectDomains, ByAllKindOrName) {
  std::vector<telemetry::DomainInfo> ds = {
      {"gpu0", "", "gpu", telemetry::EnergySource::counter, 0},
      {"gpu1", "", "gpu", telemetry::EnergySource::counter, 0},
      {"cpu-package0", "", "cpu", telemetry::EnergySource::counter, 0}};
  EXPECT_EQ(select_domains(ds, "all"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(select_domains(ds, "gpu"), (std::vector<int>{0, 1}));
  EXPECT_EQ(select_domains(ds, "cpu-package0,gpu1"), (std::vector<int>{1, 2}));
  EXPECT_THROW(select_domains(ds, "dram0"), std::invalid_argument);
}

}  // namespace
}  // namespace ipw::run
