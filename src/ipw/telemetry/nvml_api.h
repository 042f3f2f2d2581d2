#pragma once
// NVIDIA's management library, loaded at run time with dlopen so one ipw
// binary runs on machines with and without an NVIDIA driver. Only the handful
// of functions ipw needs are declared here (ABI-compatible with nvml.h; no
// header or stub library is needed at build time).
#include <cstdint>
#include <memory>
#include <string>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

// NVML return codes ipw distinguishes (nvmlReturn_t).
namespace nvml_rc {
constexpr int kSuccess = 0;
constexpr int kUninitialized = 1;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;
constexpr int kNoPermission = 4;
constexpr int kNotFound = 6;
constexpr int kDriverNotLoaded = 9;
constexpr int kGpuIsLost = 15;
constexpr int kLibraryNotFound = 12;
constexpr int kLibRmVersionMismatch = 18;
constexpr int kUnknown = 999;
}  // namespace nvml_rc

struct NvmlError {
  int code = nvml_rc::kUnknown;
  std::string message;  // "<function>: <nvmlErrorString>" or a dlopen/dlsym message
};

// One GPU's handle inside the loaded library (nvmlDevice_t).
using NvmlDevice = void*;

struct NvmlMemory {
  unsigned long long total_bytes = 0;
  unsigned long long used_bytes = 0;
};

class NvmlLibrary {
 public:
  // dlopen(path) + resolve symbols + nvmlInit_v2. The error says which step failed.
  static Expected<std::shared_ptr<NvmlLibrary>, NvmlError> load(const std::string& path);
  ~NvmlLibrary();  // nvmlShutdown + dlclose
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  const std::string& path() const { return path_; }
  Expected<unsigned, NvmlError> device_count() const;
  Expected<NvmlDevice, NvmlError> device(unsigned index) const;
  Expected<std::string, NvmlError> name(NvmlDevice d) const;
  Expected<std::string, NvmlError> uuid(NvmlDevice d) const;
  Expected<std::string, NvmlError> driver_version() const;
  // Millijoules since the driver was loaded (Volta and newer).
  Expected<unsigned long long, NvmlError> total_energy_mj(NvmlDevice d) const;
  // nvmlDeviceGetPowerUsage: on Ampere (except GA100) and newer a 1 s average.
  Expected<unsigned, NvmlError> power_usage_mw(NvmlDevice d) const;
  // Field NVML_FI_DEV_POWER_INSTANT (driver >= 530): the current power.
  Expected<unsigned, NvmlError> instant_power_mw(NvmlDevice d) const;
  Expected<unsigned, NvmlError> temperature_c(NvmlDevice d) const;
  Expected<NvmlMemory, NvmlError> memory(NvmlDevice d) const;

  struct Symbols;  // resolved function pointers (defined in the .cpp)

 private:
  NvmlLibrary() = default;
  NvmlError error(const char* function, int rc) const;

  std::string path_;
  void* handle_ = nullptr;
  std::unique_ptr<Symbols> fn_;
};

// IPW_NVML_LIBRARY when set and non-empty, else "libnvidia-ml.so.1".
std::string nvml_library_path_from_env();

}  // namespace ipw::telemetry
