#include "ipw/monitor/compat_reading.h"

#include <algorithm>

namespace ipw::monitor {

std::string compat_platform(const std::vector<HubDomain>& domains) {
  std::vector<std::string> names;
  for (const HubDomain& d : domains) {
    if (d.collector == "nvml") return "nvidia";
    if (d.collector == "powermetrics" || d.collector == "apple") return "macos";
    if (std::find(names.begin(), names.end(), d.collector) == names.end()) names.push_back(d.collector);
  }
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : "+") + n;
  return out.empty() ? "null" : out;
}

CompatGpu compat_gpu(const std::vector<HubDomain>& domains) {
  CompatGpu g;
  for (const HubDomain& d : domains) {
    if (d.info.kind != "gpu") continue;
    g.name = d.info.device;
    g.backend = d.collector;
    g.device_type = "gpu";
    if (d.collector == "nvml") {
      g.vendor = "NVIDIA";
    } else if (d.collector == "amd" || d.collector == "rocm") {
      g.vendor = "AMD";
    } else if (d.collector == "powermetrics" || d.collector == "apple") {
      g.vendor = "Apple";
    }
    break;
  }
  return g;
}

CompatAggregator::CompatAggregator(const std::vector<HubDomain>& domains)
    : domains_(domains), temperature_c_(domains.size()),
      memory_mb_(domains.size()), platform_(compat_platform(domains)) {
  for (std::size_t i = 0; i < domains_.size(); ++i) {
    if (domains_[i].info.kind == "gpu") selected_.push_back(static_cast<int>(i));
  }
  if (selected_.empty()) {
    for (std::size_t i = 0; i < domains_.size(); ++i) {
      if (domains_[i].summable) selected_.push_back(static_cast<int>(i));
    }
  }
  for (const HubDomain& d : domains_) totals_.emplace_back(d.info);
}

bool CompatAggregator::add(const HubBatch& b) {
  bool selected = false;
  for (const auto& [d, r] : b.readings) {
    if (d < 0 || static_cast<std::size_t>(d) >= domains_.size()) continue;
    const auto i = static_cast<std::size_t>(d);
    selected = selected || std::find(selected_.begin(), selected_.end(), d) != selected_.end();
    totals_[i].add(b.t_ns, r);
    if (r.temperature_c) temperature_c_[i] = r.temperature_c;
    if (r.memory_mb) memory_mb_[i] = r.memory_mb;
  }
  newest_unix_ns_ = std::max(newest_unix_ns_, b.t_unix_ns);
  return selected;
}

CompatReading CompatAggregator::reading(std::optional<double> cpu_memory_mb) const {
  CompatReading out;
  out.platform = platform_;
  out.timestamp_nanos = newest_unix_ns_;
  if (cpu_memory_mb) out.cpu_memory_usage_mb = *cpu_memory_mb;
  // A sum is only reported when every selected domain contributes: a partial
  // sum would look like a real (too low) figure.
  bool power_ok = !selected_.empty(), energy_ok = !selected_.empty();
  double power = 0, energy = 0;
  std::optional<double> hottest, gpu_mem;
  for (int d : selected_) {
    const auto i = static_cast<std::size_t>(d);
    if (auto p = totals_[i].power_w()) {
      power += *p;
    } else {
      power_ok = false;
    }
    if (totals_[i].has_energy()) {
      energy += totals_[i].total_j();
    } else {
      energy_ok = false;
    }
  }
  for (std::size_t i = 0; i < domains_.size(); ++i) {
    if (domains_[i].info.kind != "gpu") continue;
    if (temperature_c_[i]) hottest = std::max(hottest.value_or(*temperature_c_[i]), *temperature_c_[i]);
    if (memory_mb_[i]) gpu_mem = gpu_mem.value_or(0) + *memory_mb_[i];
  }
  if (power_ok) out.power_watts = power;
  if (energy_ok) out.energy_joules = energy;
  if (hottest) out.temperature_celsius = *hottest;
  if (gpu_mem) out.gpu_memory_usage_mb = *gpu_mem;
  return out;
}

}  // namespace ipw::monitor
