#include "ipw/telemetry/rapl_collector.h"

#include <fmt/format.h>

namespace ipw::telemetry {

RaplCollector::RaplCollector(std::shared_ptr<const SysfsReader> fs, std::vector<RaplZone> zones,
                             std::vector<std::string> skipped)
    : fs_(std::move(fs)), zones_(std::move(zones)), skipped_(std::move(skipped)) {
  for (const auto& z : zones_) {
    domains_.push_back(z.info);
    power_.emplace_back(z.wrap_j);
  }
}

void RaplCollector::read(std::int64_t t_ns, std::vector<Reading>& out) {
  out.assign(zones_.size(), Reading{});
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    const auto text = fs_->read_hot(zones_[i].dir + "/energy_uj");
    if (!text) continue;  // unreadable now: an empty reading, never 0 J
    const auto uj = parse_sysfs_u64(*text);
    if (!uj) continue;
    const double energy_j = static_cast<double>(*uj) * 1e-6;
    out[i].energy_j = energy_j;
    out[i].power_w = power_[i].update(t_ns, energy_j);
  }
}

void RaplCollector::measure_update_period(const Clock& clock, const Sleeper& sleep,
                                          const UpdatePeriodOptions& opts) {
  // Measured on a scratch copy of the power estimators' state: detection reads
  // must not leave history that the sampler's first readings would average over.
  auto saved = power_;
  periods_.measure(*this, clock, sleep, opts);
  power_ = std::move(saved);
}

nlohmann::json RaplCollector::describe() const {
  nlohmann::json zones = nlohmann::json::array();
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    const auto& z = zones_[i];
    nlohmann::json j = {{"domain", z.info.domain}, {"path", fs_->describe_path(z.dir)},
                        {"zone", z.zone_name},     {"kind", to_string(z.kind)},
                        {"socket", z.socket},      {"wrap_j", z.wrap_j}};
    if (z.die) j["die"] = *z.die;
    periods_.describe(i, j);
    zones.push_back(std::move(j));
  }
  nlohmann::json summable = nlohmann::json::array();
  for (std::size_t i : summable_domains()) summable.push_back(zones_[i].info.domain);
  return {{"source", "rapl"},
          {"zones", zones},
          {"skipped", skipped_},
          {"summable_domains", summable},
          {"power", "derived from the energy counter over a trailing 100 ms window"}};
}

namespace {

struct Split {
  std::vector<RaplZone> readable;
  std::vector<std::string> errors;
};

Split split_readable(RaplDiscovery& d) {
  Split s;
  for (auto& z : d.zones) {
    if (z.readable)
      s.readable.push_back(std::move(z));
    else
      s.errors.push_back(z.read_error);
  }
  return s;
}

SourceStatus status_of(const SysfsReader& fs, RaplDiscovery& d, Split& s) {
  SourceStatus st;
  st.source = "rapl";
  st.found = !d.zones.empty() || !s.readable.empty() || !s.errors.empty();
  if (!st.found) {
    st.reason = d.powercap_present ? "no RAPL zones under " + fs.describe_path("class/powercap")
                                   : fs.describe_path("class/powercap") + " does not exist";
    st.reason +=
        " (not an Intel/AMD x86 CPU with RAPL, a virtual machine, or the "
        "intel_rapl_msr module is not loaded)";
    st.how_to_fix =
        "on bare metal: sudo modprobe intel_rapl_msr; VMs and most containers do not expose RAPL";
    return st;
  }
  for (const auto& z : s.readable) st.domains.push_back(z.info.domain);
  st.readable = !s.readable.empty();
  if (!s.errors.empty()) {
    st.reason = fmt::format("{}", fmt::join(s.errors, "; "));
    bool permission = st.reason.find("permission denied") != std::string::npos;
    if (permission) st.how_to_fix = rapl_permission_fix();
  }
  return st;
}

}  // namespace

SourceStatus probe_rapl(const SysfsReader& fs) {
  auto d = discover_rapl_zones(fs);
  auto s = split_readable(d);
  return status_of(fs, d, s);
}

Expected<std::unique_ptr<RaplCollector>, SourceStatus> make_rapl_collector(HardwareOptions opts) {
  if (!opts.fs) opts.fs = default_sysfs_reader();
  auto d = discover_rapl_zones(*opts.fs);
  auto s = split_readable(d);
  SourceStatus st = status_of(*opts.fs, d, s);
  if (!st.readable) return unexpected(std::move(st));
  auto skipped = d.skipped;
  for (const auto& e : s.errors) skipped.push_back(e);  // partly readable: say which zones are not
  auto c = std::make_unique<RaplCollector>(opts.fs, std::move(s.readable), std::move(skipped));
  if (opts.detect_update_period) {
    c->measure_update_period(opts.clock_or_default(), opts.sleep_or_default(), opts.period);
  }
  return c;
}

CollectorEntry rapl_registry_entry() {
  return {"rapl",
          "rapl",
          "CPU energy counters through powercap RAPL (package, dram, psys; Intel and AMD)",
          true,
          [](const std::string&) -> std::unique_ptr<Collector> {
            auto c = make_rapl_collector();
            if (!c) throw CollectorSpecError("rapl: " + describe_failure(c.error()));
            return std::move(*c);
          },
          [] { return probe_rapl(*default_sysfs_reader()); }};
}

}  // namespace ipw::telemetry
