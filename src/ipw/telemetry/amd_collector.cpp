#include "ipw/telemetry/amd_collector.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace ipw::telemetry {

const char* to_string(AmdEnergy e) {
  switch (e) {
    case AmdEnergy::smi:
      return "smi_counter";
    case AmdEnergy::hwmon_counter:
      return "hwmon_counter";
    case AmdEnergy::integrated:
      return "integrated";
  }
  return "integrated";
}

Plausibility check_counter_plausibility(double counter_w, std::optional<double> reference_w) {
  std::ostringstream note;
  note.precision(3);
  if (!reference_w) {
    note << "not checked (no power reading); counter implies " << counter_w << " W";
    return {counter_w >= 0.0, note.str()};
  }
  note << "counter implies " << counter_w << " W, hwmon power " << *reference_w << " W";
  const bool close = std::abs(counter_w - *reference_w) <= 10.0;
  const bool ratio_ok =
      *reference_w > 0.0 && counter_w >= 0.5 * *reference_w && counter_w <= 2.0 * *reference_w;
  return {counter_w >= 0.0 && (close || ratio_ok), note.str()};
}

AmdCollector::AmdCollector(std::shared_ptr<const SysfsReader> fs, std::vector<AmdGpu> gpus,
                           std::shared_ptr<AmdEnergyCounters> smi, std::string smi_note)
    : fs_(std::move(fs)),
      gpus_(std::move(gpus)),
      smi_(std::move(smi)),
      smi_note_(std::move(smi_note)) {
  for (const auto& g : gpus_) {
    DomainInfo d;
    d.domain = "amdgpu" + std::to_string(g.ordinal);
    d.device = g.hw.product;
    d.kind = "gpu";
    d.source = g.energy == AmdEnergy::integrated ? EnergySource::integrated : EnergySource::counter;
    domains_.push_back(std::move(d));
  }
}

void AmdCollector::read(std::int64_t /*t_ns*/, std::vector<Reading>& out) {
  out.assign(gpus_.size(), Reading{});
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    const AmdGpu& g = gpus_[i];
    Reading& r = out[i];
    if (g.energy == AmdEnergy::smi)
      r.energy_j = smi_->energy_j(*g.smi_index);
    else if (g.energy == AmdEnergy::hwmon_counter)
      r.energy_j = amd_energy_j(*fs_, g.hw);
    r.power_w = amd_power_w(*fs_, g.hw);
    r.temperature_c = amd_temperature_c(*fs_, g.hw);
    r.memory_mb = amd_vram_used_mb(*fs_, g.hw);
  }
}

void AmdCollector::measure_update_period(const Clock& clock, const Sleeper& sleep,
                                         const UpdatePeriodOptions& opts) {
  periods_.measure(*this, clock, sleep, opts);
}

nlohmann::json AmdCollector::describe() const {
  nlohmann::json gpus = nlohmann::json::array();
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    const auto& g = gpus_[i];
    nlohmann::json j = {{"domain", domains_[i].domain},  {"name", g.hw.product},
                        {"pci_slot", g.hw.pci_slot},     {"hwmon", fs_->describe_path(g.hw.dir)},
                        {"energy", to_string(g.energy)}, {"energy_note", g.energy_note},
                        {"power_file", g.hw.power_file}};
    periods_.describe(i, j);
    gpus.push_back(std::move(j));
  }
  return {{"source", "amd"},
          {"smi", smi_ ? nlohmann::json(smi_->library()) : nlohmann::json(nullptr)},
          {"smi_note", smi_note_},
          {"gpus", gpus}};
}

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto a = item.find_first_not_of(" \t");
    out.push_back(a == std::string::npos ? ""
                                         : item.substr(a, item.find_last_not_of(" \t") - a + 1));
  }
  return out;
}

std::optional<unsigned> as_index(const std::string& s, std::size_t n) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const unsigned long v = std::stoul(s);
  if (v >= n) return std::nullopt;
  return static_cast<unsigned>(v);
}

}  // namespace

Expected<std::vector<unsigned>, std::string> select_amd_gpus(
    const std::vector<AmdHwmonGpu>& gpus, const std::optional<std::string>& devices,
    const std::optional<std::string>& visible_devices) {
  std::vector<unsigned> out;
  if (devices && !devices->empty() && *devices != "all") {
    for (const auto& e : split(*devices)) {
      std::optional<unsigned> idx = as_index(e, gpus.size());
      for (unsigned i = 0; !idx && i < gpus.size(); ++i)
        if (!e.empty() && gpus[i].pci_slot.find(e) != std::string::npos) idx = i;
      if (!idx)
        return unexpected("GPU selection: no AMD GPU '" + e + "' (" + std::to_string(gpus.size()) +
                          " found)");
      out.push_back(*idx);
    }
    return out;
  }
  if (!devices && visible_devices) {
    for (const auto& e : split(*visible_devices)) {
      const auto idx = as_index(e, gpus.size());
      if (!idx) break;  // like the ROCm runtime: the first invalid entry ends the list
      out.push_back(*idx);
    }
    if (out.empty())
      return unexpected("ROCR/HIP_VISIBLE_DEVICES='" + *visible_devices + "' hides every GPU");
    return out;
  }
  for (unsigned i = 0; i < gpus.size(); ++i) out.push_back(i);
  return out;
}

SourceStatus probe_amd(const SysfsReader& fs) {
  SourceStatus st;
  st.source = "amd";
  const auto gpus = discover_amd_hwmon(fs);
  st.found = !gpus.empty();
  if (!st.found) {
    st.reason = "no amdgpu hwmon device under " + fs.describe_path("class/hwmon");
    return st;
  }
  std::string bad;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (amd_power_w(fs, gpus[i]) || amd_energy_j(fs, gpus[i]))
      st.domains.push_back("amdgpu" + std::to_string(i));
    else
      bad += (bad.empty() ? "" : ", ") + fs.describe_path(gpus[i].dir);
  }
  st.readable = !st.domains.empty();
  if (!bad.empty()) {
    st.reason = "no readable power1_average/power1_input/energy1_input in " + bad;
    st.how_to_fix =
        "update the amdgpu driver (power reporting needs Linux >= 4.x amdgpu) or check "
        "file permissions";
  }
  return st;
}

namespace {

// Reads each candidate counter twice, a window apart, and keeps the first
// plausible one per GPU (SMI, then hwmon energy); otherwise integration.
void choose_energy_sources(const SysfsReader& fs, AmdEnergyCounters* smi, std::vector<AmdGpu>& gpus,
                           const Clock& clock, const Sleeper& sleep, std::int64_t window_ns) {
  struct Probe {
    std::optional<double> smi0, hw0, p0;
  };
  std::vector<Probe> probes(gpus.size());
  const std::int64_t t0 = clock.now_ns();
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (smi && gpus[i].smi_index) probes[i].smi0 = smi->energy_j(*gpus[i].smi_index);
    probes[i].hw0 = amd_energy_j(fs, gpus[i].hw);
    probes[i].p0 = amd_power_w(fs, gpus[i].hw);
  }
  bool any_counter = false;
  for (const auto& p : probes) any_counter = any_counter || p.smi0 || p.hw0;
  if (!any_counter) {
    for (auto& g : gpus) g.energy_note = "no energy counter; hwmon power is integrated";
    return;
  }
  sleep(window_ns);
  const double dt_s = static_cast<double>(clock.now_ns() - t0) * 1e-9;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    AmdGpu& g = gpus[i];
    const auto p1 = amd_power_w(fs, g.hw);
    std::optional<double> ref;
    if (probes[i].p0 && p1)
      ref = (*probes[i].p0 + *p1) / 2.0;
    else
      ref = p1 ? p1 : probes[i].p0;
    std::string notes;
    auto try_counter = [&](std::optional<double> e0, std::optional<double> e1, AmdEnergy kind) {
      if (g.energy != AmdEnergy::integrated || !e0 || !e1 || dt_s <= 0.0) return;
      const auto verdict = check_counter_plausibility((*e1 - *e0) / dt_s, ref);
      notes += (notes.empty() ? "" : "; ") + std::string(to_string(kind)) + ": " + verdict.note;
      if (verdict.plausible)
        g.energy = kind;
      else
        notes += " (implausible, not used)";
    };
    if (smi && g.smi_index)
      try_counter(probes[i].smi0, smi->energy_j(*g.smi_index), AmdEnergy::smi);
    try_counter(probes[i].hw0, amd_energy_j(fs, g.hw), AmdEnergy::hwmon_counter);
    if (g.energy == AmdEnergy::integrated)
      notes += (notes.empty() ? "" : "; ") + std::string("hwmon power is integrated");
    g.energy_note = notes;
  }
}

}  // namespace

Expected<std::unique_ptr<AmdCollector>, SourceStatus> make_amd_collector(AmdOptions opts) {
  if (!opts.common.fs) opts.common.fs = default_sysfs_reader();
  const SysfsReader& fs = *opts.common.fs;
  SourceStatus st = probe_amd(fs);
  if (!st.readable) return unexpected(std::move(st));
  const auto hw = discover_amd_hwmon(fs);

  std::optional<std::string> visible;
  if (opts.read_visible_env) {
    for (const char* var : {"ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"}) {
      if (const char* v = std::getenv(var); v && !visible) visible = std::string(v);
    }
  }
  auto selected = select_amd_gpus(hw, opts.devices, visible);
  if (!selected) {
    st.readable = false;
    st.reason = selected.error();
    st.how_to_fix = "choose GPUs in the spec, e.g. --telemetry amd:0+1 (indices in PCI order, or PCI slots)";
    return unexpected(std::move(st));
  }

  std::shared_ptr<AmdEnergyCounters> smi;
  std::string smi_note = "not tried";
  if (opts.use_smi) {
    auto loaded = opts.load_smi ? opts.load_smi() : load_amd_energy_counters();
    if (loaded) {
      smi = std::move(*loaded);
      smi_note = "loaded";
    } else {
      smi_note = "not available: " + loaded.error();
    }
  }
  std::vector<AmdGpu> gpus;
  for (unsigned idx : *selected) {
    AmdGpu g;
    g.hw = hw[idx];
    g.ordinal = idx;
    if (smi) {
      const auto bdf = pci_slot_to_bdf(g.hw.pci_slot);
      const auto bdfs = smi->device_bdfs();
      for (std::size_t k = 0; bdf && k < bdfs.size(); ++k)
        if (bdfs[k] == *bdf) g.smi_index = k;
    }
    gpus.push_back(std::move(g));
  }
  choose_energy_sources(fs, smi.get(), gpus, opts.common.clock_or_default(),
                        opts.common.sleep_or_default(), opts.plausibility_window_ns);
  auto c = std::make_unique<AmdCollector>(opts.common.fs, std::move(gpus), smi, smi_note);
  if (opts.common.detect_update_period)
    c->measure_update_period(opts.common.clock_or_default(), opts.common.sleep_or_default(),
                             opts.common.period);
  return c;
}

CollectorEntry amd_registry_entry() {
  return {"amd",
          "amd[:DEVICES]",
          "AMD GPU energy (amdsmi/ROCm SMI counter if plausible, else amdgpu hwmon power)",
          true,
          [](const std::string& arg) -> std::unique_ptr<Collector> {
            AmdOptions o;
            o.devices = devices_from_spec(arg);
            auto c = make_amd_collector(std::move(o));
            if (!c) throw CollectorSpecError("amd: " + describe_failure(c.error()));
            return std::move(*c);
          },
          [] { return probe_amd(*default_sysfs_reader()); }};
}

}  // namespace ipw::telemetry
