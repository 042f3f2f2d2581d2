#include "ipw/telemetry/nvml_api.h"

#include <dlfcn.h>

#include <cstdlib>

#include "ipw/common/dl_symbol.h"

namespace ipw::telemetry {
namespace {

// ABI of the NVML types ipw passes by pointer (see nvml.h).
struct RawMemory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
union RawValue {
  double d;
  unsigned int ui;
  unsigned long ul;
  unsigned long long ull;
  long long sll;
  int si;
  unsigned short us;
};
struct RawFieldValue {
  unsigned int field_id;
  unsigned int scope_id;
  long long timestamp_us;
  long long latency_us;
  int value_type;  // nvmlValueType_t
  int nvml_return;
  RawValue value;
};
static_assert(sizeof(RawFieldValue) == 40, "nvmlFieldValue_t layout");

constexpr unsigned kFieldPowerInstant = 186;  // NVML_FI_DEV_POWER_INSTANT
constexpr int kValueTypeUnsignedInt = 1;
constexpr int kTemperatureGpu = 0;
constexpr unsigned kNameBufferSize = 96;    // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBufferSize = 96;    // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned kDriverBufferSize = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

}  // namespace

struct NvmlLibrary::Symbols {
  int (*init)() = nullptr;
  int (*shutdown)() = nullptr;
  const char* (*error_string)(int) = nullptr;
  int (*device_count)(unsigned*) = nullptr;
  int (*handle_by_index)(unsigned, NvmlDevice*) = nullptr;
  int (*name)(NvmlDevice, char*, unsigned) = nullptr;
  int (*uuid)(NvmlDevice, char*, unsigned) = nullptr;
  int (*total_energy)(NvmlDevice, unsigned long long*) = nullptr;
  int (*power_usage)(NvmlDevice, unsigned*) = nullptr;
  // Optional: older drivers or stripped libraries may lack them.
  int (*driver_version)(char*, unsigned) = nullptr;
  int (*temperature)(NvmlDevice, int, unsigned*) = nullptr;
  int (*memory_info)(NvmlDevice, RawMemory*) = nullptr;
  int (*field_values)(NvmlDevice, int, RawFieldValue*) = nullptr;
};

Expected<std::shared_ptr<NvmlLibrary>, NvmlError> NvmlLibrary::load(const std::string& path) {
  std::shared_ptr<NvmlLibrary> lib(new NvmlLibrary());
  lib->path_ = path;
  lib->fn_ = std::make_unique<Symbols>();
  ::dlerror();
  lib->handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle_ == nullptr) {
    const char* why = ::dlerror();
    return unexpected(NvmlError{nvml_rc::kLibraryNotFound,
                                "cannot load " + path + ": " + (why ? why : "dlopen failed")});
  }
  Symbols& s = *lib->fn_;
  const std::pair<const char*, bool> required[] = {
      {"nvmlInit_v2", resolve_symbol(lib->handle_, "nvmlInit_v2", s.init)},
      {"nvmlShutdown", resolve_symbol(lib->handle_, "nvmlShutdown", s.shutdown)},
      {"nvmlErrorString", resolve_symbol(lib->handle_, "nvmlErrorString", s.error_string)},
      {"nvmlDeviceGetCount_v2", resolve_symbol(lib->handle_, "nvmlDeviceGetCount_v2", s.device_count)},
      {"nvmlDeviceGetHandleByIndex_v2",
       resolve_symbol(lib->handle_, "nvmlDeviceGetHandleByIndex_v2", s.handle_by_index)},
      {"nvmlDeviceGetName", resolve_symbol(lib->handle_, "nvmlDeviceGetName", s.name)},
      {"nvmlDeviceGetUUID", resolve_symbol(lib->handle_, "nvmlDeviceGetUUID", s.uuid)},
      {"nvmlDeviceGetTotalEnergyConsumption",
       resolve_symbol(lib->handle_, "nvmlDeviceGetTotalEnergyConsumption", s.total_energy)},
      {"nvmlDeviceGetPowerUsage", resolve_symbol(lib->handle_, "nvmlDeviceGetPowerUsage", s.power_usage)},
  };
  for (const auto& [symbol, ok] : required) {
    if (!ok) {
      // Do not call nvmlShutdown on a library we never initialised.
      s.shutdown = nullptr;
      return unexpected(
          NvmlError{nvml_rc::kLibraryNotFound,
                    path + " lacks " + symbol + " (not an NVML library, or too old)"});
    }
  }
  resolve_symbol(lib->handle_, "nvmlSystemGetDriverVersion", s.driver_version);
  resolve_symbol(lib->handle_, "nvmlDeviceGetTemperature", s.temperature);
  resolve_symbol(lib->handle_, "nvmlDeviceGetMemoryInfo", s.memory_info);
  resolve_symbol(lib->handle_, "nvmlDeviceGetFieldValues", s.field_values);

  const int rc = s.init();
  if (rc != nvml_rc::kSuccess) {
    NvmlError e = lib->error("nvmlInit_v2", rc);
    s.shutdown = nullptr;
    return unexpected(std::move(e));
  }
  return lib;
}

NvmlLibrary::~NvmlLibrary() {
  if (fn_ && fn_->shutdown) fn_->shutdown();
  if (handle_ != nullptr) ::dlclose(handle_);
}

NvmlError NvmlLibrary::error(const char* function, int rc) const {
  const char* text = fn_->error_string ? fn_->error_string(rc) : nullptr;
  return NvmlError{rc, std::string(function) + ": " + (text ? text : "NVML error") + " (" +
                           std::to_string(rc) + ")"};
}

Expected<unsigned, NvmlError> NvmlLibrary::device_count() const {
  unsigned n = 0;
  if (const int rc = fn_->device_count(&n); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetCount_v2", rc));
  return n;
}

Expected<NvmlDevice, NvmlError> NvmlLibrary::device(unsigned index) const {
  NvmlDevice d = nullptr;
  if (const int rc = fn_->handle_by_index(index, &d); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetHandleByIndex_v2", rc));
  return d;
}

Expected<std::string, NvmlError> NvmlLibrary::name(NvmlDevice d) const {
  char buf[kNameBufferSize] = {};
  if (const int rc = fn_->name(d, buf, kNameBufferSize); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetName", rc));
  return std::string(buf);
}

Expected<std::string, NvmlError> NvmlLibrary::uuid(NvmlDevice d) const {
  char buf[kUuidBufferSize] = {};
  if (const int rc = fn_->uuid(d, buf, kUuidBufferSize); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetUUID", rc));
  return std::string(buf);
}

Expected<std::string, NvmlError> NvmlLibrary::driver_version() const {
  if (!fn_->driver_version)
    return unexpected(NvmlError{nvml_rc::kNotSupported, "nvmlSystemGetDriverVersion missing"});
  char buf[kDriverBufferSize] = {};
  if (const int rc = fn_->driver_version(buf, kDriverBufferSize); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlSystemGetDriverVersion", rc));
  return std::string(buf);
}

Expected<unsigned long long, NvmlError> NvmlLibrary::total_energy_mj(NvmlDevice d) const {
  unsigned long long mj = 0;
  if (const int rc = fn_->total_energy(d, &mj); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetTotalEnergyConsumption", rc));
  return mj;
}

Expected<unsigned, NvmlError> NvmlLibrary::power_usage_mw(NvmlDevice d) const {
  unsigned mw = 0;
  if (const int rc = fn_->power_usage(d, &mw); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetPowerUsage", rc));
  return mw;
}

Expected<unsigned, NvmlError> NvmlLibrary::instant_power_mw(NvmlDevice d) const {
  if (!fn_->field_values)
    return unexpected(NvmlError{nvml_rc::kNotSupported, "nvmlDeviceGetFieldValues missing"});
  RawFieldValue v{};
  v.field_id = kFieldPowerInstant;
  if (const int rc = fn_->field_values(d, 1, &v); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetFieldValues", rc));
  if (v.nvml_return != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetFieldValues(POWER_INSTANT)", v.nvml_return));
  if (v.value_type != kValueTypeUnsignedInt)
    return unexpected(NvmlError{nvml_rc::kNotSupported,
                                "POWER_INSTANT has value type " + std::to_string(v.value_type)});
  return v.value.ui;
}

Expected<unsigned, NvmlError> NvmlLibrary::temperature_c(NvmlDevice d) const {
  if (!fn_->temperature)
    return unexpected(NvmlError{nvml_rc::kNotSupported, "nvmlDeviceGetTemperature missing"});
  unsigned c = 0;
  if (const int rc = fn_->temperature(d, kTemperatureGpu, &c); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetTemperature", rc));
  return c;
}

Expected<NvmlMemory, NvmlError> NvmlLibrary::memory(NvmlDevice d) const {
  if (!fn_->memory_info)
    return unexpected(NvmlError{nvml_rc::kNotSupported, "nvmlDeviceGetMemoryInfo missing"});
  RawMemory m{};
  if (const int rc = fn_->memory_info(d, &m); rc != nvml_rc::kSuccess)
    return unexpected(error("nvmlDeviceGetMemoryInfo", rc));
  return NvmlMemory{m.total, m.used};
}

std::string nvml_library_path_from_env() {
  const char* env = std::getenv("IPW_NVML_LIBRARY");
  return (env != nullptr && *env != '\0') ? std::string(env) : std::string("libnvidia-ml.so.1");
}

}  // namespace ipw::telemetry
