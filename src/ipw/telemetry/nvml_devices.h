#pragma once
// Which GPUs to measure. The reference harness summed every GPU on the node;
// ipw measures the GPUs the model runs on: those the spec (nvml:0+2) or IPW_DEVICES names, else
// those CUDA_VISIBLE_DEVICES exposes, else all of them. Pure functions.
#include <optional>
#include <string>
#include <vector>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

struct GpuIdentity {
  unsigned index = 0;  // NVML index (PCI bus order)
  std::string uuid;    // "GPU-8f6e…"
};

// devices: "all", or a comma list of NVML indices and/or UUIDs (a unique UUID
// prefix is enough, with or without "GPU-"). Unknown, ambiguous or repeated
// entries are errors, never silently dropped.
Expected<std::vector<unsigned>, std::string> parse_device_list(const std::vector<GpuIdentity>& gpus,
                                                               const std::string& devices);

// CUDA_VISIBLE_DEVICES as the CUDA runtime reads it: entries in order, and
// the first invalid entry ends the list (CUDA ignores the rest). Indices are
// taken in PCI bus order (the NVML order), which matches CUDA only with
// CUDA_DEVICE_ORDER=PCI_BUS_ID; UUIDs are unambiguous. MIG instances are
// rejected: NVML has no per-instance energy counter.
Expected<std::vector<unsigned>, std::string> parse_cuda_visible_devices(
    const std::vector<GpuIdentity>& gpus, const std::string& cuda_visible_devices);

// The spec's selection wins, then CUDA_VISIBLE_DEVICES (when set), then every GPU.
// An empty selection is an error that says which setting caused it.
Expected<std::vector<unsigned>, std::string> select_gpus(
    const std::vector<GpuIdentity>& gpus, const std::optional<std::string>& devices,
    const std::optional<std::string>& cuda_visible_devices);

}  // namespace ipw::telemetry
