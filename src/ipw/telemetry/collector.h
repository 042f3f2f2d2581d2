#pragma once
// The Collector interface: one per energy source (NVML, RAPL, estimator, replay…).
// A collector reports one Reading per domain each time it is read. "Not measured"
// is an empty optional, never 0: a missing power figure must not look like 0 W.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::telemetry {

// How an energy figure was obtained; carried on every energy number ipw prints.
enum class EnergySource {
  counter,     // difference of a cumulative hardware energy counter
  integrated,  // integral of sampled power (no counter available)
  estimated,   // a model (e.g. CPU utilisation x TDP), not a measurement
};
const char* to_string(EnergySource s);

// One measurable domain of a source: gpu0, cpu-package0, dram0, system, …
struct DomainInfo {
  std::string domain;       // unique within a run, e.g. "gpu0", "cpu-package0"
  std::string device;       // human description, e.g. "NVIDIA H100 80GB HBM3"
  std::string kind;         // "gpu" | "cpu" | "dram" | "soc" | "system"
  EnergySource source = EnergySource::counter;
  // Wrap range of a cumulative counter in joules (RAPL max_energy_range_uj);
  // 0 when the counter does not wrap or the source has no counter.
  double wrap_j = 0.0;
};

// A domain's state at one instant. energy_j is the raw cumulative counter value
// (possibly wrapped); power_w is the instantaneous (or source-averaged) power.
struct Reading {
  std::optional<double> energy_j;
  std::optional<double> power_w;
  std::optional<double> temperature_c;
  std::optional<double> memory_mb;
};

class Collector {
 public:
  virtual ~Collector() = default;
  // Registry name, e.g. "estimated", "replay", "nvml", "rapl".
  virtual std::string name() const = 0;
  // The domains this collector reports, fixed after construction.
  virtual const std::vector<DomainInfo>& domains() const = 0;
  // Called once by the sampler before the first read; t0_ns is the run's time
  // origin on the monotonic clock (replay traces start there).
  virtual void start(std::int64_t t0_ns) { (void)t0_ns; }
  // Called once after the sampler's final read: ends background work a source
  // may run (the remote source closes its stream and takes its last clock sync).
  virtual void stop() {}
  // Read every domain at monotonic time t_ns. `out` is resized to domains().size().
  // Throws only for programming errors; a sensor that fails returns empty optionals.
  virtual void read(std::int64_t t_ns, std::vector<Reading>& out) = 0;
  // Minimum sensible sampling period (the source's update period), ns; 0 = unknown.
  virtual std::int64_t update_period_ns() const { return 0; }
  // A bound on update_period_ns()'s error when it was measured well enough to give one
  // (UpdatePeriod::uncertainty_ns); 0 = not bounded.
  virtual std::int64_t update_period_uncertainty_ns() const { return 0; }
  // True when a read returns the hardware counter as latched at the source's last
  // update (NVML, AMD, RAPL), so the value is up to one update period old; false
  // when it is current or interpolated (replay, remote, estimator). Coarse latched
  // counters are placed at their latch instants (LatchedCounter) and polled around
  // query edges (Sampler::sample_latches).
  virtual bool latches_counter() const { return false; }
  // Facts for the run manifest (device names, UUIDs, driver versions, which
  // power reading is used, measured per-domain update periods). {} = nothing to add.
  virtual nlohmann::json describe() const { return nlohmann::json::object(); }
  // Indices into domains() whose energies can be summed without double counting
  // (RAPL: packages + dram, never psys with package or package with core; Jetson:
  // the input rail, not the rails it feeds). Default: every domain.
  virtual std::vector<std::size_t> summable_domains() const {
    std::vector<std::size_t> all(domains().size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
};

}  // namespace ipw::telemetry
