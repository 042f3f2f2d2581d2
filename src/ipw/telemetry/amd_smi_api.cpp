#include "ipw/telemetry/amd_smi_api.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>

#include "ipw/common/dl_symbol.h"

namespace ipw::telemetry {
namespace {

constexpr std::uint64_t kAmdsmiInitAmdGpus = 1u << 1;  // AMDSMI_INIT_AMD_GPUS
constexpr std::uint32_t kMaxHandles = 256;             // sanity bound on library-reported counts

// BDF ids may carry a partition id in bits 28-31 (MI300 partitions); ipw
// matches on domain/bus/device/function only.
unsigned long long strip_partition(unsigned long long bdf) {
  return bdf & 0xffffffff0000ffffULL;
}

// dlopen handle owner; closes on destruction.
struct DlHandle {
  void* h = nullptr;
  DlHandle() = default;
  DlHandle(const DlHandle&) = delete;
  DlHandle& operator=(const DlHandle&) = delete;
  ~DlHandle() {
    if (h != nullptr) ::dlclose(h);
  }
};

Expected<void*, std::string> open_library(const std::string& path) {
  ::dlerror();
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = ::dlerror();
    return unexpected(why != nullptr ? std::string(why) : "cannot load " + path);
  }
  return h;
}

class AmdSmi final : public AmdEnergyCounters {
 public:
  using Handle = void*;
  int (*init)(std::uint64_t) = nullptr;
  int (*shut_down)() = nullptr;
  int (*socket_handles)(std::uint32_t*, Handle*) = nullptr;
  int (*processor_handles)(Handle, std::uint32_t*, Handle*) = nullptr;
  int (*bdf_id)(Handle, std::uint64_t*) = nullptr;
  int (*energy_count)(Handle, std::uint64_t*, float*, std::uint64_t*) = nullptr;

  DlHandle dl;
  std::string path;
  bool initialised = false;
  std::vector<Handle> processors;
  std::vector<unsigned long long> bdfs;

  ~AmdSmi() override {
    if (initialised) shut_down();
  }
  std::string library() const override { return "amdsmi (" + path + ")"; }
  std::vector<unsigned long long> device_bdfs() const override { return bdfs; }
  std::optional<double> energy_j(std::size_t i) const override {
    if (i >= processors.size()) return std::nullopt;
    std::uint64_t count = 0, timestamp = 0;
    float resolution_uj = 0.0f;
    if (energy_count(processors[i], &count, &resolution_uj, &timestamp) != 0) return std::nullopt;
    return static_cast<double>(count) * static_cast<double>(resolution_uj) * 1e-6;
  }
};

class RocmSmi final : public AmdEnergyCounters {
 public:
  int (*init)(std::uint64_t) = nullptr;
  int (*shut_down)() = nullptr;
  int (*num_devices)(std::uint32_t*) = nullptr;
  int (*pci_id)(std::uint32_t, std::uint64_t*) = nullptr;
  int (*energy_count)(std::uint32_t, std::uint64_t*, float*, std::uint64_t*) = nullptr;

  DlHandle dl;
  std::string path;
  bool initialised = false;
  std::vector<unsigned long long> bdfs;

  ~RocmSmi() override {
    if (initialised) shut_down();
  }
  std::string library() const override { return "rocm_smi (" + path + ")"; }
  std::vector<unsigned long long> device_bdfs() const override { return bdfs; }
  std::optional<double> energy_j(std::size_t i) const override {
    if (i >= bdfs.size()) return std::nullopt;
    std::uint64_t count = 0, timestamp = 0;
    float resolution_uj = 0.0f;
    if (energy_count(static_cast<std::uint32_t>(i), &count, &resolution_uj, &timestamp) != 0)
      return std::nullopt;
    return static_cast<double>(count) * static_cast<double>(resolution_uj) * 1e-6;
  }
};

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

}  // namespace

Expected<std::unique_ptr<AmdEnergyCounters>, std::string> load_amdsmi(const std::string& path) {
  auto lib = std::make_unique<AmdSmi>();
  lib->path = path;
  auto h = open_library(path);
  if (!h) return unexpected(h.error());
  lib->dl.h = *h;
  if (!resolve_symbol(lib->dl.h, "amdsmi_init", lib->init) ||
      !resolve_symbol(lib->dl.h, "amdsmi_shut_down", lib->shut_down) ||
      !resolve_symbol(lib->dl.h, "amdsmi_get_socket_handles", lib->socket_handles) ||
      !resolve_symbol(lib->dl.h, "amdsmi_get_processor_handles", lib->processor_handles) ||
      !resolve_symbol(lib->dl.h, "amdsmi_get_gpu_bdf_id", lib->bdf_id) ||
      !resolve_symbol(lib->dl.h, "amdsmi_get_energy_count", lib->energy_count))
    return unexpected(path + " lacks an amdsmi function ipw needs (too old?)");
  if (const int rc = lib->init(kAmdsmiInitAmdGpus); rc != 0)
    return unexpected("amdsmi_init failed with status " + std::to_string(rc));
  lib->initialised = true;
  std::uint32_t sockets = 0;
  if (lib->socket_handles(&sockets, nullptr) != 0 || sockets > kMaxHandles)
    return unexpected(std::string("amdsmi_get_socket_handles failed"));
  std::vector<AmdSmi::Handle> socket_list(sockets);
  if (sockets > 0 && lib->socket_handles(&sockets, socket_list.data()) != 0)
    return unexpected(std::string("amdsmi_get_socket_handles failed"));
  for (auto s : socket_list) {
    std::uint32_t n = 0;
    if (lib->processor_handles(s, &n, nullptr) != 0 || n > kMaxHandles) continue;
    std::vector<AmdSmi::Handle> procs(n);
    if (n > 0 && lib->processor_handles(s, &n, procs.data()) != 0) continue;
    for (auto p : procs) {
      std::uint64_t bdf = 0;
      if (lib->bdf_id(p, &bdf) != 0) continue;
      lib->processors.push_back(p);
      lib->bdfs.push_back(strip_partition(bdf));
    }
  }
  if (lib->processors.empty()) return unexpected(std::string("amdsmi found no AMD GPU"));
  return std::unique_ptr<AmdEnergyCounters>(std::move(lib));
}

Expected<std::unique_ptr<AmdEnergyCounters>, std::string> load_rocm_smi(const std::string& path) {
  auto lib = std::make_unique<RocmSmi>();
  lib->path = path;
  auto h = open_library(path);
  if (!h) return unexpected(h.error());
  lib->dl.h = *h;
  if (!resolve_symbol(lib->dl.h, "rsmi_init", lib->init) ||
      !resolve_symbol(lib->dl.h, "rsmi_shut_down", lib->shut_down) ||
      !resolve_symbol(lib->dl.h, "rsmi_num_monitor_devices", lib->num_devices) ||
      !resolve_symbol(lib->dl.h, "rsmi_dev_pci_id_get", lib->pci_id) ||
      !resolve_symbol(lib->dl.h, "rsmi_dev_energy_count_get", lib->energy_count))
    return unexpected(path + " lacks a ROCm SMI function ipw needs (too old?)");
  if (const int rc = lib->init(0); rc != 0)
    return unexpected("rsmi_init failed with status " + std::to_string(rc));
  lib->initialised = true;
  std::uint32_t n = 0;
  if (lib->num_devices(&n) != 0 || n > kMaxHandles)
    return unexpected(std::string("rsmi_num_monitor_devices failed"));
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t bdf = 0;
    // Keep indices aligned with the library's: an unknown BDF matches no hwmon GPU.
    lib->bdfs.push_back(lib->pci_id(i, &bdf) == 0 ? strip_partition(bdf) : ~0ULL);
  }
  if (lib->bdfs.empty()) return unexpected(std::string("ROCm SMI found no AMD GPU"));
  return std::unique_ptr<AmdEnergyCounters>(std::move(lib));
}

Expected<std::unique_ptr<AmdEnergyCounters>, std::string> load_amd_energy_counters() {
  std::string errors;
  const std::string amdsmi = env_or("IPW_AMDSMI_LIBRARY", "libamd_smi.so");
  const std::string rocm = env_or("IPW_ROCM_SMI_LIBRARY", "librocm_smi64.so");
  const std::pair<std::string, bool> attempts[] = {{amdsmi, true},
                                                   {"/opt/rocm/lib/libamd_smi.so", true},
                                                   {rocm, false},
                                                   {"/opt/rocm/lib/librocm_smi64.so", false}};
  for (const auto& [path, is_amdsmi] : attempts) {
    auto lib = is_amdsmi ? load_amdsmi(path) : load_rocm_smi(path);
    if (lib) return lib;
    errors += (errors.empty() ? "" : "; ") + lib.error();
  }
  return unexpected(std::move(errors));
}

}  // namespace ipw::telemetry
