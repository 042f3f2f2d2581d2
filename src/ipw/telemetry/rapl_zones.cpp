#include "ipw/telemetry/rapl_zones.h"

#include <cctype>
#include <cerrno>
#include <map>
#include <set>

#include "ipw/common/text.h"

namespace ipw::telemetry {

const char* to_string(RaplKind k) {
  switch (k) {
    case RaplKind::package:
      return "package";
    case RaplKind::core:
      return "core";
    case RaplKind::uncore:
      return "uncore";
    case RaplKind::dram:
      return "dram";
    case RaplKind::psys:
      return "psys";
    case RaplKind::other:
      return "other";
  }
  return "other";
}

namespace {

const std::string kPowercap = "class/powercap";

struct EntryName {
  std::string interface;
  int top = 0;
  std::optional<int> sub;
};

// A decimal number of 1-6 digits at s[pos…]; advances pos. (No std::regex:
// GCC 12 warns inside <regex> under sanitizers, and these grammars are tiny.)
std::optional<int> take_number(const std::string& s, std::size_t& pos) {
  std::size_t end = pos;
  while (end < s.size() && end - pos < 6 && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
  if (end == pos || (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))))
    return std::nullopt;
  const int v = std::stoi(s.substr(pos, end - pos));
  pos = end;
  return v;
}

// "intel-rapl:N", "intel-rapl:N:M", "amd-rapl:N…", "intel-rapl-mmio:N…".
std::optional<EntryName> parse_entry(const std::string& entry) {
  const auto colon = entry.find(':');
  if (colon == std::string::npos) return std::nullopt;
  EntryName e;
  e.interface = entry.substr(0, colon);
  if (e.interface != "intel-rapl" && e.interface != "amd-rapl" && e.interface != "intel-rapl-mmio")
    return std::nullopt;
  std::size_t pos = colon + 1;
  const auto top = take_number(entry, pos);
  if (!top) return std::nullopt;
  e.top = *top;
  if (pos < entry.size()) {
    if (entry[pos] != ':') return std::nullopt;
    ++pos;
    e.sub = take_number(entry, pos);
    if (!e.sub || pos != entry.size()) return std::nullopt;
  }
  return e;
}

// "package-S" or "package-S-die-D".
bool parse_package(const std::string& name, int& socket, std::optional<int>& die) {
  const std::string prefix = "package-";
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  std::size_t pos = prefix.size();
  const auto s = take_number(name, pos);
  if (!s) return false;
  std::optional<int> d;
  if (pos < name.size()) {
    const std::string die_prefix = "-die-";
    if (name.compare(pos, die_prefix.size(), die_prefix) != 0) return false;
    pos += die_prefix.size();
    d = take_number(name, pos);
    if (!d || pos != name.size()) return false;
  }
  socket = *s;
  die = d;
  return true;
}

void classify(RaplZone& z, const std::optional<int>& parent_socket,
              const std::optional<int>& parent_die) {
  if (parse_package(z.zone_name, z.socket, z.die)) {
    z.kind = RaplKind::package;
    return;
  }
  z.socket = parent_socket.value_or(0);
  z.die = parent_die;
  if (z.zone_name == "core")
    z.kind = RaplKind::core;
  else if (z.zone_name == "uncore")
    z.kind = RaplKind::uncore;
  else if (z.zone_name == "dram")
    z.kind = RaplKind::dram;
  else if (z.zone_name == "psys")
    z.kind = RaplKind::psys;
  else
    z.kind = RaplKind::other;
}

std::string suffix(const RaplZone& z) {
  std::string s = std::to_string(z.socket);
  if (z.die) s += "-die" + std::to_string(*z.die);
  return s;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '-';
  return out;
}

void name_domain(RaplZone& z) {
  DomainInfo& d = z.info;
  d.source = EnergySource::counter;
  d.wrap_j = z.wrap_j;
  switch (z.kind) {
    case RaplKind::package:
      d.domain = "cpu-package" + suffix(z);
      d.kind = "cpu";
      break;
    case RaplKind::core:
      d.domain = "cpu-cores" + suffix(z);
      d.kind = "cpu";
      break;
    case RaplKind::uncore:
      d.domain = "cpu-uncore" + suffix(z);
      d.kind = "cpu";
      break;
    case RaplKind::dram:
      d.domain = "dram" + suffix(z);
      d.kind = "dram";
      break;
    case RaplKind::psys:
      d.domain = "psys";
      d.kind = "system";
      break;
    case RaplKind::other:
      d.domain = "rapl-" + sanitize(z.zone_name) + suffix(z);
      d.kind = "cpu";
      break;
  }
  d.device = "RAPL " + z.zone_name + " (" + z.dir.substr(kPowercap.size() + 1) + ")";
}

}  // namespace

RaplDiscovery discover_rapl_zones(const SysfsReader& fs) {
  RaplDiscovery out;
  out.powercap_present = fs.exists(kPowercap);
  const auto entries = fs.list(kPowercap);

  // Parents first (list() is sorted, and "intel-rapl:0" < "intel-rapl:0:0").
  std::map<std::string, std::pair<int, std::optional<int>>>
      package_of_top;                   // "iface:N" -> socket, die
  std::set<std::string> primary_names;  // zone names seen through MSR, to drop MMIO duplicates
  std::vector<RaplZone> mmio;
  for (const auto& entry : entries) {
    const auto e = parse_entry(entry);
    if (!e) continue;
    RaplZone z;
    z.dir = kPowercap + "/" + entry;
    z.interface = e->interface;
    const auto name = fs.read(z.dir + "/name");
    if (!name) {
      out.skipped.push_back(entry + " (" + name.error().message + ")");
      continue;
    }
    z.zone_name = trim(*name);
    std::optional<int> parent_socket, parent_die;
    if (e->sub) {
      const auto it = package_of_top.find(e->interface + ":" + std::to_string(e->top));
      if (it != package_of_top.end()) {
        parent_socket = it->second.first;
        parent_die = it->second.second;
      }
    }
    classify(z, parent_socket, parent_die);
    if (!e->sub && z.kind == RaplKind::package)
      package_of_top[e->interface + ":" + std::to_string(e->top)] = {z.socket, z.die};

    const auto range = fs.read(z.dir + "/max_energy_range_uj");
    if (range) {
      if (const auto v = parse_sysfs_u64(*range)) z.wrap_j = static_cast<double>(*v) * 1e-6;
    }
    const auto energy = fs.read(z.dir + "/energy_uj");
    if (energy) {
      const auto v = parse_sysfs_u64(*energy);
      z.readable = v.has_value();
      if (!v) z.read_error = fs.describe_path(z.dir + "/energy_uj") + ": " + v.error();
    } else {
      z.read_error = energy.error().errno_value == EACCES
                         ? rapl_permission_reason(fs.describe_path(z.dir + "/energy_uj"))
                         : energy.error().message;
    }
    name_domain(z);
    if (z.interface == "intel-rapl-mmio") {
      mmio.push_back(std::move(z));
    } else {
      primary_names.insert(z.zone_name);
      out.zones.push_back(std::move(z));
    }
  }
  for (auto& z : mmio) {
    if (primary_names.count(z.zone_name) != 0) {
      out.skipped.push_back(z.dir.substr(kPowercap.size() + 1) + " (MMIO duplicate of " +
                            z.zone_name + ")");
    } else {
      out.zones.push_back(std::move(z));
    }
  }
  return out;
}

std::vector<std::size_t> rapl_summable(const std::vector<RaplZone>& zones) {
  bool has_package = false;
  for (const auto& z : zones) has_package = has_package || z.kind == RaplKind::package;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < zones.size(); ++i) {
    const RaplKind k = zones[i].kind;
    if (k == RaplKind::package || (has_package && k == RaplKind::dram) ||
        (!has_package && k == RaplKind::psys))
      out.push_back(i);
  }
  return out;
}

std::string rapl_permission_reason(const std::string& path) {
  return path +
         ": permission denied; RAPL energy counters are readable only by root since Linux 5.10 "
         "(CVE-2020-8694, the PLATYPUS power side channel)";
}

std::string rapl_permission_fix() {
  return "sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj "
         "/sys/class/powercap/intel-rapl:*:*/energy_uj (until reboot), or make it permanent with a "
         "udev rule (see docs/telemetry.md, RAPL), or run `ipw monitor` as root and profile with "
         "--telemetry remote:HOST:PORT";
}

}  // namespace ipw::telemetry
