#pragma once
// A domain's energy since the monitor started sampling it, for Prometheus
// counters (which must never go down) and the reference stream's
// "energy since baseline". Counters are unwrapped (RAPL wraps at
// max_energy_range_uj); a counter that goes backwards beyond any wrap is a
// reset: that interval is charged from power when known, otherwise nothing,
// and counted, never read as a wrap (no 10^13 J). Power-only sources are
// integrated (trapezoids). Pure: fed readings, no clock.
#include <cstdint>
#include <optional>
#include <utility>

#include "ipw/telemetry/collector.h"

namespace ipw::monitor {

class EnergyTotal {
 public:
  explicit EnergyTotal(telemetry::DomainInfo info) : info_(std::move(info)) {}

  // Readings in time order (an earlier one is ignored).
  void add(std::int64_t t_ns, const telemetry::Reading& r);
  // Sampling paused: the next reading starts a new stretch (nothing is
  // charged for the pause, whose counter wraps cannot be known).
  void pause();

  double total_j() const { return total_j_; }
  // Measured power if the source gives it, else the counter's slope over the
  // last interval; empty before two counter readings.
  std::optional<double> power_w() const { return power_w_; }
  // Whether it has ever been fed energy or power (else total_j() means nothing).
  bool has_energy() const { return has_energy_; }
  std::uint64_t resets() const { return resets_; }
  std::uint64_t wraps() const { return wraps_; }
  // When the last reading was taken: the instant total_j() is the energy at.
  std::optional<std::int64_t> last_t_ns() const { return last_t_ns_; }

 private:
  telemetry::DomainInfo info_;
  double total_j_ = 0.0;
  std::optional<std::int64_t> last_t_ns_;
  std::optional<double> last_raw_j_;
  std::int64_t last_counter_t_ns_ = 0;  // when last_raw_j_ was read
  std::optional<double> last_power_w_;  // last measured power (for resets and trapezoids)
  std::int64_t last_power_t_ns_ = 0;
  std::optional<double> power_w_;
  std::uint64_t resets_ = 0;
  std::uint64_t wraps_ = 0;
  bool has_energy_ = false;
};

}  // namespace ipw::monitor
