#include "ipw/monitor/energy_total.h"

#include <cmath>

namespace ipw::monitor {
namespace {

bool usable(const std::optional<double>& v) { return v && std::isfinite(*v); }

}  // namespace

void EnergyTotal::add(std::int64_t t_ns, const telemetry::Reading& r) {
  if (last_t_ns_ && t_ns < *last_t_ns_) return;
  last_t_ns_ = t_ns;
  const bool have_power = usable(r.power_w);
  if (have_power || usable(r.energy_j)) has_energy_ = true;
  const auto seconds_since = [t_ns](std::int64_t t0) { return static_cast<double>(t_ns - t0) * 1e-9; };
  if (usable(r.energy_j)) {
    const double raw = *r.energy_j;
    if (last_raw_j_) {
      const double dt_s = seconds_since(last_counter_t_ns_);
      double delta = raw - *last_raw_j_;
      if (delta < 0) {
        const double advance = raw + info_.wrap_j - *last_raw_j_;
        if (info_.wrap_j > 0 && advance >= 0 && advance <= info_.wrap_j / 2) {
          delta = advance;
          ++wraps_;
        } else {
          ++resets_;
          delta = (last_power_w_ && have_power)
                      ? (*last_power_w_ + *r.power_w) / 2 * seconds_since(last_power_t_ns_)
                      : 0.0;
        }
      }
      total_j_ += delta;
      if (!have_power && dt_s > 0) power_w_ = delta / dt_s;
    }
    last_raw_j_ = raw;
    last_counter_t_ns_ = t_ns;
  } else if (have_power && last_power_w_ && !last_raw_j_) {
    // A power-only source: the exact integral of the piecewise-linear power.
    total_j_ += (*last_power_w_ + *r.power_w) / 2 * seconds_since(last_power_t_ns_);
  }
  if (have_power) {
    power_w_ = *r.power_w;
    last_power_w_ = *r.power_w;
    last_power_t_ns_ = t_ns;
  }
}

void EnergyTotal::pause() {
  last_t_ns_.reset();
  last_raw_j_.reset();
  last_power_w_.reset();
}

}  // namespace ipw::monitor
