#pragma once
// NVIDIA Jetson power rails from the on-module INA3221 monitors. Two kernel
// layouts exist:
//   hwmon (L4T >= 34, Orin): class/hwmon/hwmonN/name == "ina3221",
//     in{k}_label (rail name), in{k}_input (mV, bus voltage), curr{k}_input (mA)
//   iio (L4T <= 32, Nano/TX2/Xavier): bus/iio/devices/iio:deviceN/name == "ina3221x",
//     rail_name_{k}, in_power{k}_input (mW) or in_current{k}_input (mA) × in_voltage{k}_input (mV)
// Rails are power-only (source `integrated`). A `system` domain gives the
// module total: the input rail (VDD_IN, POM_5V_IN) where one exists, else the
// sum of every rail; only it is summable, since the input rail feeds the others.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipw/common/expected.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/source_status.h"
#include "ipw/telemetry/sysfs_options.h"
#include "ipw/telemetry/sysfs_reader.h"
#include "ipw/telemetry/update_period.h"

namespace ipw::telemetry {

struct JetsonRail {
  std::string label;       // "VDD_IN", "VDD_CPU_GPU_CV", "POM_5V_GPU", …
  std::string power_mw;    // file giving mW directly (iio), or empty
  std::string voltage_mv;  // files whose product gives power, when power_mw is empty
  std::string current_ma;
  bool is_input = false;  // the module's input rail (total power)
  DomainInfo info;
};

// Finds every INA3221 rail under the sysfs root (both layouts).
std::vector<JetsonRail> discover_jetson_rails(const SysfsReader& fs);

// Rail power in watts, empty when a file is missing or malformed.
std::optional<double> read_rail_power_w(const SysfsReader& fs, const JetsonRail& rail);

class JetsonCollector final : public Collector {
 public:
  JetsonCollector(std::shared_ptr<const SysfsReader> fs, std::vector<JetsonRail> rails);

  std::string name() const override { return "jetson"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  std::int64_t update_period_ns() const override { return periods_.slowest_ns(); }
  std::int64_t update_period_uncertainty_ns() const override { return periods_.slowest_uncertainty_ns(); }
  nlohmann::json describe() const override;
  // Only the `system` total (last domain): the rails overlap with it and with each other.
  std::vector<std::size_t> summable_domains() const override { return {rails_.size()}; }

  void measure_update_period(const Clock& clock, const Sleeper& sleep,
                             const UpdatePeriodOptions& opts);

 private:
  std::shared_ptr<const SysfsReader> fs_;
  std::vector<JetsonRail> rails_;
  std::optional<std::size_t> input_rail_;
  std::vector<DomainInfo> domains_;  // rails..., then "system"
  MeasuredPeriods periods_;
};

SourceStatus probe_jetson(const SysfsReader& fs);
Expected<std::unique_ptr<JetsonCollector>, SourceStatus> make_jetson_collector(
    HardwareOptions opts = {});

// The registry row: "jetson" (no argument); in `auto` when readable.
CollectorEntry jetson_registry_entry();

}  // namespace ipw::telemetry
