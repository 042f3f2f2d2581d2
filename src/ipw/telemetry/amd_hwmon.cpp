#include "ipw/telemetry/amd_hwmon.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "ipw/common/text.h"

namespace ipw::telemetry {
namespace {

std::string slot_from_uevent(const std::string& uevent) {
  std::istringstream in(uevent);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PCI_SLOT_NAME=", 0) == 0) return trim(line.substr(14));
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
  // "DDDD:BB:DD.F": domain 4-8 hex digits, bus and device 2, function 1 (0-7).
  const auto c1 = slot.find(':');
  if (c1 == std::string::npos || c1 < 4 || c1 > 8) return std::nullopt;
  if (slot.size() != c1 + 8 || slot[c1 + 3] != ':' || slot[c1 + 6] != '.') return std::nullopt;
  const auto hex = [&](std::size_t from, std::size_t n) -> std::optional<unsigned long long> {
    unsigned long long v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      const char c = slot[i];
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 16 + static_cast<unsigned long long>(std::isdigit(static_cast<unsigned char>(c))
                                                       ? c - '0'
                                                       : std::tolower(c) - 'a' + 10);
    }
    return v;
  };
  const auto domain = hex(0, c1), bus = hex(c1 + 1, 2), device = hex(c1 + 4, 2),
             function = hex(c1 + 7, 1);
  if (!domain || !bus || !device || !function || *device > 0x1f || *function > 7)
    return std::nullopt;
  return (*domain << 32) | (*bus << 8) | (*device << 3) | *function;
}

std::vector<AmdHwmonGpu> discover_amd_hwmon(const SysfsReader& fs) {
  std::vector<AmdHwmonGpu> out;
  for (const auto& dev : fs.list("class/hwmon")) {
    AmdHwmonGpu g;
    g.dir = "class/hwmon/" + dev;
    const auto name = fs.read(g.dir + "/name");
    if (!name || trim(*name) != "amdgpu") continue;
    if (const auto ue = fs.read(g.dir + "/device/uevent")) g.pci_slot = slot_from_uevent(*ue);
    if (const auto p = fs.read(g.dir + "/device/product_name"); p && !trim(*p).empty())
      g.product = trim(*p);
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
