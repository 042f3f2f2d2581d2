#include "ipw/telemetry/replay_collector.h"

#include <utility>

namespace ipw::telemetry {
namespace {

// A device named like a domain ("gpu0", "cpu-package0") gets that kind, so a
// replayed multi-device trace is summed and labelled like live hardware.
std::string kind_for(const std::string& device) {
  for (const char* k : {"gpu", "cpu", "dram", "soc"}) {
    if (device.rfind(k, 0) == 0) return k;
  }
  return "system";
}

}  // namespace

ReplayCollector::ReplayCollector(ReplayTrace trace, std::string path)
    : trace_(std::move(trace)), path_(std::move(path)) {
  for (const ReplaySeries& s : trace_.series) {
    DomainInfo d;
    d.domain = s.device.empty() ? "replay" : s.device;
    d.device = "replay of " + path_;
    d.kind = s.device.empty() ? "system" : kind_for(s.device);
    d.source = trace_.quantity == ReplayQuantity::energy_j ? EnergySource::counter
                                                           : EnergySource::integrated;
    domains_.push_back(std::move(d));
  }
}

std::unique_ptr<ReplayCollector> ReplayCollector::from_file(const std::string& path) {
  return std::make_unique<ReplayCollector>(load_replay_csv(path), path);
}

void ReplayCollector::read(std::int64_t t_ns, std::vector<Reading>& out) {
  out.assign(domains_.size(), Reading{});
  const double t_s = static_cast<double>(t_ns - t0_ns_) * 1e-9;
  for (std::size_t i = 0; i < trace_.series.size(); ++i) {
    const double v = replay_value_at(trace_.series[i], t_s);
    if (trace_.quantity == ReplayQuantity::energy_j) {
      out[i].energy_j = v;
    } else {
      out[i].power_w = v;
    }
  }
}

nlohmann::json ReplayCollector::describe() const {
  nlohmann::json devices = nlohmann::json::array();
  for (const ReplaySeries& s : trace_.series) {
    devices.push_back({{"device", s.device},
                       {"rows", s.t_s.size()},
                       {"t_first_s", s.t_s.front()},
                       {"t_last_s", s.t_s.back()}});
  }
  return {{"path", path_},
          {"quantity", trace_.quantity == ReplayQuantity::energy_j ? "energy_j" : "power_w"},
          {"series", devices}};
}

}  // namespace ipw::telemetry
