#pragma once
// AMD GPUs: energy from the SMI accumulator (amdsmi / ROCm SMI) when it is
// present and plausible, else from hwmon energy1_input when present and
// plausible, else by integrating hwmon power (source `integrated`). Each
// counter is checked against hwmon power over a short window at creation,
// because a wrong counter resolution (a known amdsmi issue) would otherwise
// scale every energy figure silently.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipw/common/expected.h"
#include "ipw/telemetry/amd_hwmon.h"
#include "ipw/telemetry/amd_smi_api.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/source_status.h"
#include "ipw/telemetry/sysfs_options.h"
#include "ipw/telemetry/update_period.h"

namespace ipw::telemetry {

using AmdSmiLoader = std::function<Expected<std::unique_ptr<AmdEnergyCounters>, std::string>()>;

struct AmdOptions {
  HardwareOptions common;              // sysfs root, update period, clock, sleeper
  std::optional<std::string> devices;  // the spec's GPUs (amd:0+1) or IPW_DEVICES: indices (PCI order) or PCI slots, or "all"
  bool read_visible_env = true;        // ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES
  bool use_smi = true;                 // try amdsmi / ROCm SMI
  AmdSmiLoader load_smi;               // null: load_amd_energy_counters()
  std::int64_t plausibility_window_ns = 500'000'000;
};

// Is a counter-implied power consistent with the measured power? Plausible
// within a factor of 2, or within 10 W (idle readings are noisy). Without a
// reference the counter is accepted and the note says it was not checked.
struct Plausibility {
  bool plausible = true;
  std::string note;
};
Plausibility check_counter_plausibility(double counter_w, std::optional<double> reference_w);

enum class AmdEnergy { smi, hwmon_counter, integrated };
const char* to_string(AmdEnergy e);

struct AmdGpu {
  AmdHwmonGpu hw;
  unsigned ordinal = 0;                  // position in PCI order among all AMD GPUs
  std::optional<std::size_t> smi_index;  // matching SMI device, by BDF
  AmdEnergy energy = AmdEnergy::integrated;
  std::string energy_note;  // plausibility results, fallbacks
};

class AmdCollector final : public Collector {
 public:
  AmdCollector(std::shared_ptr<const SysfsReader> fs, std::vector<AmdGpu> gpus,
               std::shared_ptr<AmdEnergyCounters> smi, std::string smi_note);

  std::string name() const override { return "amd"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  std::int64_t update_period_ns() const override { return periods_.slowest_ns(); }
  std::int64_t update_period_uncertainty_ns() const override { return periods_.slowest_uncertainty_ns(); }
  bool latches_counter() const override { return true; }
  nlohmann::json describe() const override;

  void measure_update_period(const Clock& clock, const Sleeper& sleep,
                             const UpdatePeriodOptions& opts);
  const std::vector<AmdGpu>& gpus() const { return gpus_; }

 private:
  std::shared_ptr<const SysfsReader> fs_;
  std::vector<AmdGpu> gpus_;
  std::shared_ptr<AmdEnergyCounters> smi_;
  std::string smi_note_;
  std::vector<DomainInfo> domains_;
  MeasuredPeriods periods_;
};

// Selection among the discovered GPUs (PCI order). devices wins over the
// *_VISIBLE_DEVICES value (indices; the first invalid entry ends the list).
Expected<std::vector<unsigned>, std::string> select_amd_gpus(
    const std::vector<AmdHwmonGpu>& gpus, const std::optional<std::string>& devices,
    const std::optional<std::string>& visible_devices);

SourceStatus probe_amd(const SysfsReader& fs);
Expected<std::unique_ptr<AmdCollector>, SourceStatus> make_amd_collector(AmdOptions opts = {});

// The registry row: "amd" or "amd:DEVICES" ('+'-joined indices or PCI slots);
// without an argument IPW_DEVICES, else ROCR/HIP_VISIBLE_DEVICES. In `auto`.
CollectorEntry amd_registry_entry();

}  // namespace ipw::telemetry
