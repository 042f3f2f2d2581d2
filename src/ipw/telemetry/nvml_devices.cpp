#include "ipw/telemetry/nvml_devices.h"

#include <algorithm>
#include <cctype>

#include "ipw/common/text.h"

namespace ipw::telemetry {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Resolves one entry to an NVML index; error text when it names no single GPU.
Expected<unsigned, std::string> resolve(const std::vector<GpuIdentity>& gpus,
                                        const std::string& entry) {
  if (all_digits(entry)) {
    const unsigned long idx = std::stoul(entry);
    for (const auto& g : gpus)
      if (g.index == idx) return g.index;
    return unexpected("GPU index " + entry + " does not exist (" + std::to_string(gpus.size()) +
                      " GPU(s) found)");
  }
  std::string want = ascii_lower(entry);
  if (want.rfind("mig-", 0) == 0) {
    // NVML's energy counter and power readings are per physical GPU: a MIG instance has none.
    return unexpected("'" + entry + "' is a MIG instance's UUID; NVML reports energy and power per physical GPU, "
                      "not per MIG instance, so select the GPU that holds it (its GPU-… UUID or index in "
                      "`nvidia-smi -L`); queries on other instances of that GPU share its energy");
  }
  if (want.rfind("gpu-", 0) != 0) want = "gpu-" + want;
  std::vector<unsigned> matches;
  for (const auto& g : gpus)
    if (ascii_lower(g.uuid).rfind(want, 0) == 0) matches.push_back(g.index);
  if (matches.size() == 1) return matches[0];
  if (matches.empty()) return unexpected("no GPU has UUID " + entry);
  return unexpected("UUID prefix " + entry + " matches " + std::to_string(matches.size()) +
                    " GPUs; give more characters");
}

std::vector<unsigned> all_indices(const std::vector<GpuIdentity>& gpus) {
  std::vector<unsigned> out;
  for (const auto& g : gpus) out.push_back(g.index);
  return out;
}

}  // namespace

Expected<std::vector<unsigned>, std::string> parse_device_list(const std::vector<GpuIdentity>& gpus,
                                                               const std::string& devices) {
  if (ascii_lower(trim(devices)) == "all") return all_indices(gpus);
  std::vector<unsigned> out;
  for (const auto& entry : split_commas(devices)) {
    if (entry.empty()) return unexpected("GPU selection '" + devices + "' has an empty entry");
    auto idx = resolve(gpus, entry);
    if (!idx) return unexpected("GPU selection: " + idx.error());
    if (std::find(out.begin(), out.end(), *idx) != out.end())
      return unexpected("the GPU selection names GPU " + std::to_string(*idx) + " twice");
    out.push_back(*idx);
  }
  return out;
}

Expected<std::vector<unsigned>, std::string> parse_cuda_visible_devices(
    const std::vector<GpuIdentity>& gpus, const std::string& cvd) {
  std::vector<unsigned> out;
  if (trim(cvd).empty()) return out;
  for (const auto& entry : split_commas(cvd)) {
    if (ascii_lower(entry).rfind("mig-", 0) == 0)
      return unexpected("CUDA_VISIBLE_DEVICES names a MIG instance (" + entry +
                        "); NVML has no per-instance energy counter. Measure the whole GPU with "
                        "--telemetry nvml:<index or UUID>");
    // CUDA stops at the first entry it cannot use; so do we.
    if (entry.empty() || entry[0] == '-') break;
    auto idx = resolve(gpus, entry);
    if (!idx) break;
    if (std::find(out.begin(), out.end(), *idx) != out.end()) break;  // CUDA: duplicate ends it
    out.push_back(*idx);
  }
  return out;
}

Expected<std::vector<unsigned>, std::string> select_gpus(
    const std::vector<GpuIdentity>& gpus, const std::optional<std::string>& devices,
    const std::optional<std::string>& cuda_visible_devices) {
  if (gpus.empty()) return unexpected(std::string("NVML reports no GPUs"));
  if (devices && !trim(*devices).empty()) {
    auto sel = parse_device_list(gpus, *devices);
    if (sel && sel->empty()) return unexpected("GPU selection '" + *devices + "' selects no GPU");
    return sel;
  }
  if (cuda_visible_devices) {
    auto sel = parse_cuda_visible_devices(gpus, *cuda_visible_devices);
    if (sel && sel->empty())
      return unexpected("CUDA_VISIBLE_DEVICES='" + *cuda_visible_devices +
                        "' hides every GPU (the server would run on none); unset it or name the GPUs "
                        "in the spec (--telemetry nvml:0+1)");
    return sel;
  }
  return all_indices(gpus);
}

}  // namespace ipw::telemetry
