#include "ipw/telemetry/energy_meter.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "ipw/common/json_null.h"

namespace ipw::telemetry {
namespace {

nlohmann::json flag_list(const std::string& flags) {
  nlohmann::json out = nlohmann::json::array();
  std::string::size_type start = 0;
  while (start < flags.size()) {
    const auto comma = flags.find(',', start);
    out.push_back(flags.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const DomainEnergy& e) {
  return {{"domain", e.domain},
          {"device", e.device},
          {"kind", e.kind},
          {"source", e.source},
          {"energy_j", json_or_null(e.energy_j)},
          {"mean_power_w", json_or_null(e.mean_power_w)},
          {"seconds", e.seconds},
          {"flags", flag_list(e.flags)},
          {"samples", e.samples},
          {"sample_period_s", ns_to_s(e.sample_period_ns)},
          {"update_period_s", ns_to_s(e.update_period_ns)},
          {"summable", e.summable}};
}

EnergyMeter::EnergyMeter(std::vector<std::unique_ptr<Collector>> collectors, std::int64_t period_ns,
                         const Clock& clock)
    : clock_(clock), sampler_(std::move(collectors), period_ns, clock) {}

void EnergyMeter::start(std::int64_t warmup_timeout_ns) {
  sampler_.start();
  // Wait for a first sample of every domain: a window opened before it would
  // be `partial` (the estimator's first read only sets its baseline).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(warmup_timeout_ns);
  std::vector<bool> seen(sampler_.domains().size(), false);
  std::size_t from = 0, missing = seen.size();
  while (missing > 0 && std::chrono::steady_clock::now() < deadline) {
    for (const Sample& s : sampler_.samples(from)) {
      const auto d = static_cast<std::size_t>(s.domain_index);
      if (!seen[d]) {
        seen[d] = true;
        --missing;
      }
      ++from;
    }
    if (missing > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  t_a_ns_ = clock_.now_ns();
  sampler_.sample_now();  // brackets t_a from the right
}

std::vector<DomainEnergy> EnergyMeter::measure(std::int64_t t_b_ns) const {
  std::vector<DomainEnergy> out;
  const auto& domains = sampler_.domains();
  for (std::size_t i = 0; i < domains.size(); ++i) {
    const int d = static_cast<int>(i);
    const WindowEnergy w = sampler_.energy(d, t_a_ns_, t_b_ns);
    DomainEnergy e;
    e.domain = domains[i].domain;
    e.device = domains[i].device;
    e.kind = domains[i].kind;
    e.source = to_string(w.source);
    e.energy_j = w.energy_j;
    e.seconds = ns_to_s(t_b_ns - t_a_ns_);
    e.mean_power_w = w.mean_power_w;
    e.latest_power_w = sampler_.latest_power_w(d);
    e.flags = flags_to_string(w.flags);
    e.samples = w.samples;
    e.sample_period_ns = sampler_.period_ns(d);
    e.update_period_ns = sampler_.update_period_ns(d);
    e.summable = sampler_.summable(d);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<DomainEnergy> EnergyMeter::so_far() {
  if (finished_) throw std::logic_error("EnergyMeter::so_far after finish");
  const std::int64_t t = clock_.now_ns();
  sampler_.sample_now();  // brackets t, so the live figure is interpolated, not extrapolated
  return measure(t);
}

std::vector<DomainEnergy> EnergyMeter::finish() {
  if (finished_) throw std::logic_error("EnergyMeter::finish called twice");
  finished_ = true;
  const std::int64_t t_b = clock_.now_ns();
  sampler_.stop();  // its final read comes after t_b
  return measure(t_b);
}

}  // namespace ipw::telemetry
