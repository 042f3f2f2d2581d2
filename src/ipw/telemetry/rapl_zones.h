#pragma once
// Discovery of RAPL zones in the powercap tree (<sysfs>/class/powercap):
//   intel-rapl:N        package-S (or package-S-die-D), or psys
//   intel-rapl:N:M      core (PP0), uncore (PP1, usually the iGPU), dram
//   intel-rapl-mmio:N   the same package counter through MMIO: a duplicate
// AMD CPUs (Zen, Linux >= 5.8) use the same "intel-rapl" names; "amd-rapl" is
// accepted too. Nesting is containment for core/uncore (inside package) and for
// package inside psys; dram is a separate counter although listed under package.
#include <optional>
#include <string>
#include <vector>

#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/sysfs_reader.h"

namespace ipw::telemetry {

enum class RaplKind { package, core, uncore, dram, psys, other };
const char* to_string(RaplKind k);

struct RaplZone {
  std::string dir;        // relative to the sysfs root: "class/powercap/intel-rapl:0:2"
  std::string zone_name;  // contents of `name`: "package-0", "dram", "psys", …
  std::string interface;  // "intel-rapl", "amd-rapl" or "intel-rapl-mmio"
  RaplKind kind = RaplKind::other;
  int socket = 0;          // package index (from package-S, or the parent package)
  std::optional<int> die;  // package-S-die-D on multi-die packages
  double wrap_j = 0.0;     // max_energy_range_uj / 1e6
  bool readable = false;   // energy_uj could be read at discovery
  std::string read_error;  // why not (errno text), when !readable
  DomainInfo info;         // domain name, kind, device, source counter, wrap
};

struct RaplDiscovery {
  std::vector<RaplZone> zones;       // every usable zone (mmio duplicates removed)
  std::vector<std::string> skipped;  // "intel-rapl-mmio:0 (duplicate of intel-rapl:0)", …
  bool powercap_present = false;     // class/powercap exists at all
};

RaplDiscovery discover_rapl_zones(const SysfsReader& fs);

// Indices of zones whose energies add up without double counting: every
// package (or die) plus every dram; psys only when there is no package zone
// (psys contains the packages); core/uncore never (inside package).
std::vector<std::size_t> rapl_summable(const std::vector<RaplZone>& zones);

// The user-facing explanation for an unreadable energy_uj (EACCES since
// CVE-2020-8694) and how to fix it.
std::string rapl_permission_reason(const std::string& path);
std::string rapl_permission_fix();

}  // namespace ipw::telemetry
