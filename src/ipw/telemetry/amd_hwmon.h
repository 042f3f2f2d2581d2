#pragma once
// AMD GPUs as the amdgpu driver exposes them in hwmon
// (<sysfs>/class/hwmon/hwmonN with name == "amdgpu"):
//   power1_average  µW, the SMU's averaged socket power (most GPUs)
//   power1_input    µW, "current" socket power (RDNA3 / MI300 and newer kernels)
//   energy1_input   µJ, cumulative energy, where the kernel provides it
//   temp2_input     m°C junction (temp1 = edge when there is no junction sensor)
//   device/mem_info_vram_used   bytes of VRAM in use
//   device/uevent   PCI_SLOT_NAME=0000:03:00.0 (matches SMI libraries' BDF)
#include <optional>
#include <string>
#include <vector>

#include "ipw/telemetry/sysfs_reader.h"

namespace ipw::telemetry {

struct AmdHwmonGpu {
  std::string dir;             // "class/hwmon/hwmon2"
  std::string pci_slot;        // "0000:03:00.0" ("" when unknown)
  std::string product;         // device/product_name, else "AMD GPU <slot>"
  std::string power_file;      // power1_input or power1_average ("" = none)
  std::string energy_file;     // energy1_input ("" = none)
  std::string temp_file;       // temp2_input or temp1_input ("" = none)
  std::string vram_used_file;  // device/mem_info_vram_used ("" = none)
};

// Every amdgpu hwmon device, ordered by PCI slot (the ROCm enumeration order).
std::vector<AmdHwmonGpu> discover_amd_hwmon(const SysfsReader& fs);

// Parses a PCI slot name "DDDD:BB:DD.F" into the SMI libraries' BDF id
// ((domain << 32) | (bus << 8) | (device << 3) | function); empty if malformed.
std::optional<unsigned long long> pci_slot_to_bdf(const std::string& slot);

// Readings in SI units; empty when missing/unreadable (never 0).
std::optional<double> amd_power_w(const SysfsReader& fs, const AmdHwmonGpu& g);
std::optional<double> amd_energy_j(const SysfsReader& fs, const AmdHwmonGpu& g);
std::optional<double> amd_temperature_c(const SysfsReader& fs, const AmdHwmonGpu& g);
std::optional<double> amd_vram_used_mb(const SysfsReader& fs, const AmdHwmonGpu& g);

}  // namespace ipw::telemetry
