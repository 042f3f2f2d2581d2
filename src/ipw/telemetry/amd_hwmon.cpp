#include "ipw/telemetry/amd_hwmon.h"

#include <algorithm>
#include <regex>
#include <sstream>

namespace ipw::telemetry {
namespace {

std::string slot_from_uevent(const std::string& uevent) {
  std::istringstream in(uevent);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PCI_SLOT_NAME=", 0) == 0) return trim_sysfs(line.substr(14));
  }
  return "";
}

std::optional<double> read_scaled(const SysfsReader& fs, const std::string& path, double scale) {
  if (path.empty()) return std::nullopt;
  const auto text = fs.read_hot(path);
  if (!text) return std::nullopt;
  const auto v = parse_sysfs_i64(*text);
  if (!v) return std::nullopt;
  return static_cast<double>(*v) * scale;
}

}  // namespace

std::optional<unsigned long long> pci_slot_to_bdf(const std::string& slot) {
  static const std::regex re(R"(^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$)");
  std::smatch m;
  if (!std::regex_match(slot, m, re)) return std::nullopt;
  const auto hex = [&](int i) { return std::stoull(m[i].str(), nullptr, 16); };
  if (hex(3) > 0x1f) return std::nullopt;
  return (hex(1) << 32) | (hex(2) << 8) | (hex(3) << 3) | hex(4);
}

std::vector<AmdHwmonGpu> discover_amd_hwmon(const SysfsReader& fs) {
  std::vector<AmdHwmonGpu> out;
  for (const auto& dev : fs.list("class/hwmon")) {
    AmdHwmonGpu g;
    g.dir = "class/hwmon/" + dev;
    const auto name = fs.read(g.dir + "/name");
    if (!name || trim_sysfs(*name) != "amdgpu") continue;
    if (const auto ue = fs.read(g.dir + "/device/uevent")) g.pci_slot = slot_from_uevent(*ue);
    if (const auto p = fs.read(g.dir + "/device/product_name"); p && !trim_sysfs(*p).empty())
      g.product = trim_sysfs(*p);
    else
      g.product = "AMD GPU" + (g.pci_slot.empty() ? "" : " " + g.pci_slot);
    // power1_input is the newer, less smoothed reading; prefer it when present.
    for (const char* f : {"power1_input", "power1_average"})
      if (g.power_file.empty() && fs.exists(g.dir + "/" + f)) g.power_file = g.dir + "/" + f;
    if (fs.exists(g.dir + "/energy1_input")) g.energy_file = g.dir + "/energy1_input";
    for (const char* f : {"temp2_input", "temp1_input"})
      if (g.temp_file.empty() && fs.exists(g.dir + "/" + f)) g.temp_file = g.dir + "/" + f;
    if (fs.exists(g.dir + "/device/mem_info_vram_used"))
      g.vram_used_file = g.dir + "/device/mem_info_vram_used";
    out.push_back(std::move(g));
  }
  std::stable_sort(out.begin(), out.end(), [](const AmdHwmonGpu& a, const AmdHwmonGpu& b) {
    return a.pci_slot < b.pci_slot;
  });
  return out;
}

std::optional<double> amd_power_w(const SysfsReader& fs, const AmdHwmonGpu& g) {
  return read_scaled(fs, g.power_file, 1e-6);
}
std::optional<double> amd_energy_j(const SysfsReader& fs, const AmdHwmonGpu& g) {
  return read_scaled(fs, g.energy_file, 1e-6);
}
std::optional<double> amd_temperature_c(const SysfsReader& fs, const AmdHwmonGpu& g) {
  return read_scaled(fs, g.temp_file, 1e-3);
}
std::optional<double> amd_vram_used_mb(const SysfsReader& fs, const AmdHwmonGpu& g) {
  return read_scaled(fs, g.vram_used_file, 1e-6);
}

}  // namespace ipw::telemetry
