#pragma once
// The AMD GPU energy accumulator, through amdsmi (libamd_smi.so, ROCm >= 6)
// or the older ROCm SMI (librocm_smi64.so), loaded with dlopen so ipw needs
// neither at build time. Both report a 64-bit accumulator and a resolution
// (µJ per count); energy = count × resolution. Some versions report a wrong
// resolution (a known amdsmi issue: the counter then implies an impossible
// power), so the collector checks the counter against hwmon power before use.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

class AmdEnergyCounters {
 public:
  virtual ~AmdEnergyCounters() = default;
  // "amdsmi (/opt/rocm/lib/libamd_smi.so)", for the manifest and doctor.
  virtual std::string library() const = 0;
  // PCI BDF id of each device, in the library's enumeration order.
  virtual std::vector<unsigned long long> device_bdfs() const = 0;
  // Cumulative energy of device i in joules; empty on error.
  virtual std::optional<double> energy_j(std::size_t device) const = 0;
};

// Tries amdsmi, then ROCm SMI. Library paths: IPW_AMDSMI_LIBRARY /
// IPW_ROCM_SMI_LIBRARY when set, else the sonames, else /opt/rocm/lib/<soname>.
// The error lists every attempt and why it failed.
Expected<std::unique_ptr<AmdEnergyCounters>, std::string> load_amd_energy_counters();

// One library explicitly (tests; "amdsmi" or "rocm_smi" API at `path`).
Expected<std::unique_ptr<AmdEnergyCounters>, std::string> load_amdsmi(const std::string& path);
Expected<std::unique_ptr<AmdEnergyCounters>, std::string> load_rocm_smi(const std::string& path);

}  // namespace ipw::telemetry
