#pragma once
// NVIDIA GPUs through NVML: per GPU, the total-energy counter (mJ, Volta and
// newer) read at every sample, plus power, temperature and memory used. GPUs
// without the counter fall back to integrating power (source `integrated`).
// Power is the instantaneous field value where the driver has it
// (NVML_FI_DEV_POWER_INSTANT), else nvmlDeviceGetPowerUsage, which on Ampere
// and newer is a 1 s moving average: fine for display, lagging for short
// windows, which is why the counter is preferred for energy.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipw/common/expected.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/nvml_api.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/source_status.h"
#include "ipw/telemetry/sysfs_options.h"
#include "ipw/telemetry/update_period.h"

namespace ipw::telemetry {

struct NvmlOptions {
  std::string library_path;                         // empty: IPW_NVML_LIBRARY or libnvidia-ml.so.1
  std::optional<std::string> devices;               // the spec's GPUs (nvml:0+2) or IPW_DEVICES: indices / UUIDs / "all"
  std::optional<std::string> cuda_visible_devices;  // empty: read the environment
  bool read_cuda_env = true;                        // false: ignore CUDA_VISIBLE_DEVICES (tests)
  HardwareOptions common;                           // update-period detection, clock (fs unused)
};

enum class NvmlPower { instant, average_1s, none };
const char* to_string(NvmlPower p);

struct NvmlGpu {
  unsigned index = 0;
  NvmlDevice handle = nullptr;
  std::string name;
  std::string uuid;
  bool has_energy_counter = false;
  std::string energy_note;  // why the counter is not used, when it is not
  NvmlPower power = NvmlPower::none;
  std::optional<unsigned long long> memory_total_bytes;
};

class NvmlCollector final : public Collector {
 public:
  NvmlCollector(std::shared_ptr<NvmlLibrary> lib, std::vector<NvmlGpu> gpus,
                std::string driver_version, std::string selection);

  std::string name() const override { return "nvml"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  std::int64_t update_period_ns() const override { return periods_.slowest_ns(); }
  std::int64_t update_period_uncertainty_ns() const override { return periods_.slowest_uncertainty_ns(); }
  bool latches_counter() const override { return true; }
  nlohmann::json describe() const override;

  void measure_update_period(const Clock& clock, const Sleeper& sleep,
                             const UpdatePeriodOptions& opts);
  const std::vector<NvmlGpu>& gpus() const { return gpus_; }

 private:
  std::shared_ptr<NvmlLibrary> lib_;
  std::vector<NvmlGpu> gpus_;
  std::string driver_version_;
  std::string selection_;
  std::vector<DomainInfo> domains_;
  MeasuredPeriods periods_;
};

// Loads NVML, selects GPUs, checks what each can report. The error status says
// what failed (library missing, driver not loaded, version mismatch, no GPU
// selected) and how to fix it.
Expected<std::unique_ptr<NvmlCollector>, SourceStatus> make_nvml_collector(NvmlOptions opts = {});

// The same without measuring the update period; never throws.
SourceStatus probe_nvml(NvmlOptions opts = {});

// The registry row: "nvml" or "nvml:DEVICES" with DEVICES joined by '+'
// ("nvml:0+2", "nvml:GPU-8f6e+GPU-11aa"), since ',' separates sources in a
// spec. Without an argument, env IPW_DEVICES applies,
// else CUDA_VISIBLE_DEVICES. In `auto` when readable.
CollectorEntry nvml_registry_entry();

}  // namespace ipw::telemetry
