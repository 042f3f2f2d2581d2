#pragma once
#include <cstdint>
#include <optional>

namespace ipw::telemetry {

// One stored sample: a Reading of one domain, stamped on the monotonic clock.
// domain_index refers to the sampler's flattened list of DomainInfo.
struct Sample {
  std::int64_t t_ns = 0;
  int domain_index = 0;
  std::optional<double> energy_j;  // raw cumulative counter, as read
  std::optional<double> power_w;
  std::optional<double> temperature_c;
  std::optional<double> memory_mb;
  // How long the read took: the values were read somewhere in [t_ns, t_ns + read_ns].
  // A thread preempted inside a read sees a value from up to read_ns after t_ns;
  // LatchedCounter needs that instant's upper bound, not just the stamp.
  std::int64_t read_ns = 0;
};

}  // namespace ipw::telemetry
