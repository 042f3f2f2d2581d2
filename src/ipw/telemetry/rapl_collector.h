#pragma once
// CPU energy from RAPL through the Linux powercap interface. Each zone's
// energy_uj is a cumulative µJ counter that wraps at max_energy_range_uj; it is
// reported raw (DomainTrace unwraps it) with wrap_j set. Power is derived from
// the counter over a trailing 100 ms window (RAPL has no power reading).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/common/expected.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/rapl_zones.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/source_status.h"
#include "ipw/telemetry/sysfs_counter.h"
#include "ipw/telemetry/sysfs_options.h"
#include "ipw/telemetry/sysfs_reader.h"
#include "ipw/telemetry/update_period.h"

namespace ipw::telemetry {

class RaplCollector final : public Collector {
 public:
  // Zones must be readable; use make_rapl_collector() to discover them.
  RaplCollector(std::shared_ptr<const SysfsReader> fs, std::vector<RaplZone> zones,
                std::vector<std::string> skipped);

  std::string name() const override { return "rapl"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  std::int64_t update_period_ns() const override { return periods_.slowest_ns(); }
  std::int64_t update_period_uncertainty_ns() const override { return periods_.slowest_uncertainty_ns(); }
  bool latches_counter() const override { return true; }
  nlohmann::json describe() const override;
  std::vector<std::size_t> summable_domains() const override { return rapl_summable(zones_); }

  // Measures every zone's update period (called by the factory).
  void measure_update_period(const Clock& clock, const Sleeper& sleep,
                             const UpdatePeriodOptions& opts);
  const std::vector<RaplZone>& zones() const { return zones_; }

 private:
  std::shared_ptr<const SysfsReader> fs_;
  std::vector<RaplZone> zones_;
  std::vector<std::string> skipped_;
  std::vector<DomainInfo> domains_;
  std::vector<CounterPower> power_;
  MeasuredPeriods periods_;
};

// What `ipw doctor` prints for RAPL. Never throws.
SourceStatus probe_rapl(const SysfsReader& fs);

// The collector over every readable zone, or the status saying why there is none.
Expected<std::unique_ptr<RaplCollector>, SourceStatus> make_rapl_collector(
    HardwareOptions opts = {});

// The registry row: "rapl" (no argument); in `auto` when readable.
CollectorEntry rapl_registry_entry();

}  // namespace ipw::telemetry
