#include "ipw/telemetry/nvml_collector.h"

#include <cstdlib>

#include "ipw/telemetry/nvml_devices.h"

namespace ipw::telemetry {

const char* to_string(NvmlPower p) {
  switch (p) {
    case NvmlPower::instant:
      return "instant";
    case NvmlPower::average_1s:
      return "average_1s";
    case NvmlPower::none:
      return "none";
  }
  return "none";
}

NvmlCollector::NvmlCollector(std::shared_ptr<NvmlLibrary> lib, std::vector<NvmlGpu> gpus,
                             std::string driver_version, std::string selection)
    : lib_(std::move(lib)),
      gpus_(std::move(gpus)),
      driver_version_(std::move(driver_version)),
      selection_(std::move(selection)) {
  for (const auto& g : gpus_) {
    DomainInfo d;
    d.domain = "gpu" + std::to_string(g.index);
    d.device = g.name;
    d.kind = "gpu";
    d.source = g.has_energy_counter ? EnergySource::counter : EnergySource::integrated;
    d.wrap_j = 0.0;  // 64-bit millijoules: does not wrap in practice
    domains_.push_back(std::move(d));
  }
}

void NvmlCollector::read(std::int64_t /*t_ns*/, std::vector<Reading>& out) {
  out.assign(gpus_.size(), Reading{});
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    const NvmlGpu& g = gpus_[i];
    Reading& r = out[i];
    if (g.has_energy_counter) {
      if (auto mj = lib_->total_energy_mj(g.handle)) r.energy_j = static_cast<double>(*mj) * 1e-3;
    }
    if (g.power == NvmlPower::instant) {
      if (auto mw = lib_->instant_power_mw(g.handle)) r.power_w = static_cast<double>(*mw) * 1e-3;
    } else if (g.power == NvmlPower::average_1s) {
      if (auto mw = lib_->power_usage_mw(g.handle)) r.power_w = static_cast<double>(*mw) * 1e-3;
    }
    if (auto c = lib_->temperature_c(g.handle)) r.temperature_c = static_cast<double>(*c);
    if (auto m = lib_->memory(g.handle))
      r.memory_mb = static_cast<double>(m->used_bytes) * 1e-6;  // MB (10^6 B), ipw's memory unit
  }
}

void NvmlCollector::measure_update_period(const Clock& clock, const Sleeper& sleep,
                                          const UpdatePeriodOptions& opts) {
  periods_.measure(*this, clock, sleep, opts);
}

nlohmann::json NvmlCollector::describe() const {
  nlohmann::json gpus = nlohmann::json::array();
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    const auto& g = gpus_[i];
    nlohmann::json j = {{"domain", domains_[i].domain},
                        {"index", g.index},
                        {"name", g.name},
                        {"uuid", g.uuid},
                        {"energy", g.has_energy_counter ? "counter" : "integrated"},
                        {"power_reading", to_string(g.power)}};
    if (!g.energy_note.empty()) j["energy_note"] = g.energy_note;
    if (g.memory_total_bytes)
      j["memory_total_mib"] = static_cast<double>(*g.memory_total_bytes) / (1024.0 * 1024.0);
    periods_.describe(i, j);
    gpus.push_back(std::move(j));
  }
  return {{"source", "nvml"},
          {"library", lib_->path()},
          {"driver_version", driver_version_},
          {"selection", selection_},
          {"gpus", gpus}};
}

namespace {

std::string fix_for(int code) {
  switch (code) {
    case nvml_rc::kLibraryNotFound:
      return "install the NVIDIA driver (it ships libnvidia-ml.so.1), or set IPW_NVML_LIBRARY to "
             "the library's path";
    case nvml_rc::kDriverNotLoaded:
      return "load the NVIDIA kernel driver (check `nvidia-smi`; in a container, run it with the "
             "NVIDIA container toolkit, e.g. --gpus all)";
    case nvml_rc::kLibRmVersionMismatch:
      return "the NVIDIA kernel module and user library differ in version (driver upgraded "
             "without reboot): reboot or reload the nvidia modules";
    case nvml_rc::kNoPermission:
      return "check the permissions of /dev/nvidia* for this user";
    default:
      return "run `nvidia-smi` to check the driver";
  }
}

SourceStatus failure(bool found, std::string reason, std::string fix) {
  SourceStatus st;
  st.source = "nvml";
  st.found = found;
  st.readable = false;
  st.reason = std::move(reason);
  st.how_to_fix = std::move(fix);
  return st;
}

// Checks one GPU's energy counter and power reading; usable when it has either.
NvmlGpu inspect(const NvmlLibrary& lib, unsigned index, NvmlDevice handle) {
  NvmlGpu g;
  g.index = index;
  g.handle = handle;
  auto name = lib.name(handle);
  g.name = name ? *name : "NVIDIA GPU";
  if (auto u = lib.uuid(handle)) g.uuid = *u;
  if (auto e = lib.total_energy_mj(handle)) {
    g.has_energy_counter = true;
  } else {
    g.energy_note = e.error().code == nvml_rc::kNotSupported
                        ? "no total-energy counter on this GPU (pre-Volta); power is integrated"
                        : e.error().message + "; power is integrated";
  }
  if (lib.instant_power_mw(handle))
    g.power = NvmlPower::instant;
  else if (lib.power_usage_mw(handle))
    g.power = NvmlPower::average_1s;
  if (auto m = lib.memory(handle)) g.memory_total_bytes = m->total_bytes;
  return g;
}

Expected<std::unique_ptr<NvmlCollector>, SourceStatus> build(const NvmlOptions& opts) {
  const std::string path =
      opts.library_path.empty() ? nvml_library_path_from_env() : opts.library_path;
  auto lib = NvmlLibrary::load(path);
  if (!lib) {
    const bool found = lib.error().code != nvml_rc::kLibraryNotFound;
    return unexpected(failure(found, lib.error().message, fix_for(lib.error().code)));
  }
  auto count = (*lib)->device_count();
  if (!count) return unexpected(failure(true, count.error().message, fix_for(count.error().code)));
  std::vector<GpuIdentity> ids;
  std::vector<NvmlDevice> handles;
  for (unsigned i = 0; i < *count; ++i) {
    auto h = (*lib)->device(i);
    if (!h) return unexpected(failure(true, h.error().message, fix_for(h.error().code)));
    auto u = (*lib)->uuid(*h);
    ids.push_back({i, u ? *u : ""});
    handles.push_back(*h);
  }
  std::optional<std::string> cvd = opts.cuda_visible_devices;
  if (!cvd && opts.read_cuda_env) {
    if (const char* env = std::getenv("CUDA_VISIBLE_DEVICES")) cvd = std::string(env);
  }
  auto selected = select_gpus(ids, opts.devices, cvd);
  if (!selected) {
    return unexpected(failure(
        *count > 0, selected.error(),
        *count > 0 ? "choose GPUs in the spec, e.g. --telemetry nvml:0+1 (indices or UUIDs)" : "check `nvidia-smi`"));
  }
  std::string selection = opts.devices && !opts.devices->empty() ? "GPUs " + *opts.devices
                          : cvd                                  ? "CUDA_VISIBLE_DEVICES=" + *cvd
                                                                 : "all GPUs";
  std::vector<NvmlGpu> gpus;
  std::string unusable;
  for (unsigned idx : *selected) {
    NvmlGpu g = inspect(**lib, idx, handles[idx]);
    if (!g.has_energy_counter && g.power == NvmlPower::none) {
      unusable += (unusable.empty() ? "" : "; ") +
                  ("gpu" + std::to_string(idx) + " reports neither energy nor power");
      continue;
    }
    gpus.push_back(std::move(g));
  }
  if (gpus.empty())
    return unexpected(failure(true, unusable,
                              "power readings need a data-center or recent "
                              "GeForce GPU; check `nvidia-smi -q -d POWER`"));
  auto driver = (*lib)->driver_version();
  return std::make_unique<NvmlCollector>(*lib, std::move(gpus), driver ? *driver : "unknown",
                                         selection);
}

}  // namespace

Expected<std::unique_ptr<NvmlCollector>, SourceStatus> make_nvml_collector(NvmlOptions opts) {
  auto c = build(opts);
  if (c && opts.common.detect_update_period) {
    (*c)->measure_update_period(opts.common.clock_or_default(), opts.common.sleep_or_default(),
                                opts.common.period);
  }
  return c;
}

SourceStatus probe_nvml(NvmlOptions opts) {
  auto c = build(opts);
  if (!c) return c.error();
  SourceStatus st;
  st.source = "nvml";
  st.found = true;
  st.readable = true;
  for (const auto& d : (*c)->domains()) st.domains.push_back(d.domain);
  for (const auto& g : (*c)->gpus())
    if (!g.energy_note.empty()) st.reason += (st.reason.empty() ? "" : "; ") + g.energy_note;
  return st;
}

CollectorEntry nvml_registry_entry() {
  return {"nvml",
          "nvml[:DEVICES]",
          "NVIDIA GPU energy counters through NVML (per GPU; DEVICES: indices/UUIDs joined by +)",
          true,
          [](const std::string& arg) -> std::unique_ptr<Collector> {
            NvmlOptions o;
            o.devices = devices_from_spec(arg);
            auto c = make_nvml_collector(o);
            if (!c) throw CollectorSpecError("nvml: " + describe_failure(c.error()));
            return std::move(*c);
          },
          [] {
            NvmlOptions o;
            o.devices = devices_from_spec("");
            return probe_nvml(o);
          }};
}

}  // namespace ipw::telemetry
