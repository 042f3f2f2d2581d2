#pragma once
// Fakes shared by the monitor tests: a collector whose counter and power are
// exact functions of the steady clock, so any pipeline (hub -> gRPC ->
// remote collector -> sampler) can be checked against the exact integral.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/telemetry/collector.h"

namespace ipw::monitor::testing {

// power(t) = base_w + slope * t, t in seconds of the steady clock since origin_ns.
struct LinearProfile {
  std::int64_t origin_ns = steady_clock().now_ns();
  double base_w = 100;
  double slope_w_per_s = 20;

  double t_s(std::int64_t t_ns) const { return static_cast<double>(t_ns - origin_ns) * 1e-9; }
  double power_at(std::int64_t t_ns) const { return base_w + slope_w_per_s * t_s(t_ns); }
  double energy_to(std::int64_t t_ns) const {
    const double t = t_s(t_ns);
    return base_w * t + slope_w_per_s * t * t / 2;
  }
  double energy_between(std::int64_t a_ns, std::int64_t b_ns) const { return energy_to(b_ns) - energy_to(a_ns); }
};

// One domain; counter = the profile's exact integral (wrapped at wrap_j), power measured.
class LinearCollector final : public telemetry::Collector {
 public:
  explicit LinearCollector(LinearProfile p, std::string domain = "fake0", double wrap_j = 0,
                           std::int64_t update_period_ns = 0,
                           telemetry::EnergySource source = telemetry::EnergySource::counter)
      : p_(p), update_period_ns_(update_period_ns) {
    domains_.push_back({std::move(domain), "Fake GPU", "gpu", source, wrap_j});
  }
  std::string name() const override { return "fake"; }
  const std::vector<telemetry::DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t t_ns, std::vector<telemetry::Reading>& out) override {
    out.assign(1, {});
    double e = p_.energy_to(t_ns);
    const double wrap = domains_[0].wrap_j;
    if (wrap > 0) e = std::fmod(e, wrap);
    if (domains_[0].source == telemetry::EnergySource::counter) out[0].energy_j = e;
    out[0].power_w = p_.power_at(t_ns);
    out[0].temperature_c = 40.0;
  }
  std::int64_t update_period_ns() const override { return update_period_ns_; }

 private:
  LinearProfile p_;
  std::vector<telemetry::DomainInfo> domains_;
  std::int64_t update_period_ns_;
};

}  // namespace ipw::monitor::testing
