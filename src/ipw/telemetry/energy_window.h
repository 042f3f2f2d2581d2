#pragma once
// Energy of one domain between two instants, from the samples taken so far.
// DomainTrace is pure (no threads, no clock): the sampler owns one per domain
// and calls energy_between() under its lock. The attribution math is in
// docs/telemetry.md; the short version:
//   counter domains:  E = C(t1) - C(t0), C the unwrapped counter linearly
//                     interpolated between the samples that bracket each edge;
//   power-only:       E = exact integral of the piecewise-linear power through
//                     the samples (trapezoids, interpolated edge values).
// Every figure carries its provenance: source, sample count, flags.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/latched_counter.h"
#include "ipw/telemetry/sample.h"

namespace ipw::telemetry {

// Provenance flags of one energy figure (bit set; stored as an integer).
enum Flag : std::uint32_t {
  kShortWindow = 1,  // window shorter than the source's update period: instantaneous power x duration
  kGap = 2,          // a sampling interval overlapping the window was > 3x the expected period
  kWrap = 4,         // the counter wrapped inside the window (handled, reported for audit)
  kReset = 8,        // the counter went backwards beyond any wrap: energy from power, or unknown
  kPartial = 16,     // the window is not fully bracketed by samples: edges extrapolated
  kCoarseEdges = 32, // a coarse counter's latches at the edges are known to worse than 1 % of the window
  kStale = 64,       // the counter did not move for > kStalePeriods of its periods: frozen, energy from power or unknown
};
// A hardware energy counter always moves while the device is powered; one that reads
// the same for this many update periods (sample periods when the update period is
// unknown) is frozen (a dead driver, a file replaced under ipw), not idle.
inline constexpr std::int64_t kStalePeriods = 100;
// "short_window,gap" in bit order; "" when none.
std::string flags_to_string(std::uint32_t flags);

struct WindowEnergy {
  std::optional<double> energy_j;  // empty when it cannot be known (no samples, reset w/o power)
  EnergySource source = EnergySource::counter;  // what this figure really is
  int samples = 0;                 // samples of this domain stamped inside [t0, t1]
  std::uint32_t flags = 0;
  std::optional<double> peak_power_w, mean_power_w, mean_temperature_c, max_memory_mb;
};

// How the trace's samples are expected to be spaced.
struct TraceTiming {
  // The source's own update period (0 = unknown). Windows shorter than it are
  // flagged kShortWindow; when unknown, sample_period_ns is used instead.
  std::int64_t update_period_ns = 0;
  // The sampler's period for this domain (0 = unknown: no gap detection).
  std::int64_t sample_period_ns = 0;
  // The source's counter holds its value between updates (Collector::latches_counter).
  // With an update period of kLatchedMinPeriodNs or more, the counter's values are
  // placed at their latch instants (LatchedCounter) instead of at their reads.
  bool latched = false;
  // A bound on update_period_ns's error (0 = not bounded: LatchedCounter then trusts it
  // only until precise latches measure the period).
  std::int64_t update_period_uncertainty_ns = 0;
};
inline constexpr std::int64_t kLatchedMinPeriodNs = 2'000'000;

class DomainTrace {
 public:
  explicit DomainTrace(DomainInfo info, TraceTiming timing = {});

  // Samples arrive in time order (throws std::invalid_argument otherwise).
  // Counters are unwrapped here, so queries never re-scan for wraps.
  void append(const Sample& s);

  // Energy and statistics over [t0_ns, t1_ns] (t0 <= t1, else std::invalid_argument).
  WindowEnergy energy_between(std::int64_t t0_ns, std::int64_t t1_ns) const;

  // The domain's energy from a fixed (unspecified) origin to t: the unwrapped
  // counter at t for counter sources, else the integral of power. Differences of it
  // add up exactly, which is what sharing a window among overlapping queries needs
  // (run/energy_shares.h); energy_between gives each window's provenance. Empty
  // when nothing gives energy.
  std::optional<double> cumulative_j(std::int64_t t_ns) const;
  // Whether cumulative_j's difference over [t0, t1] is the energy drawn: not across
  // a counter reset the source reports no power for (that energy is unknown).
  bool span_known(std::int64_t t0_ns, std::int64_t t1_ns) const;

  // Instantaneous power at t: measured power interpolated between samples, else
  // the slope of the counter across the bracketing interval; outside the sampled
  // range the nearest edge value is held. Empty when nothing gives power.
  std::optional<double> power_at(std::int64_t t_ns) const;
  // Power at the newest sample (for live displays).
  std::optional<double> latest_power_w() const;

  const DomainInfo& info() const { return info_; }
  const TraceTiming& timing() const { return timing_; }
  std::size_t size() const { return sample_count_; }
  // Time span of the samples; empty when there are none.
  std::optional<std::int64_t> first_t_ns() const;
  std::optional<std::int64_t> last_t_ns() const;

 private:
  struct Point {
    std::int64_t t_ns;
    double v;
  };
  // Intervals between consecutive samples (wraps, resets, gaps), appended in time order.
  struct Span {
    std::int64_t from_ns, to_ns;
  };
  static bool overlaps(const std::vector<Span>& spans, std::int64_t t0, std::int64_t t1);
  static std::optional<double> interpolate(const std::vector<Point>& pts, std::int64_t t);

  bool has_counter() const { return info_.source == EnergySource::counter && !counter_.empty(); }
  std::optional<double> counter_at(std::int64_t t) const;   // unwrapped, edges extrapolated
  std::optional<double> power_integral_to(std::int64_t t) const;  // F(t) = ∫ from first power point
  std::optional<double> counter_slope_at(std::int64_t t) const;
  std::optional<double> peak_power(std::int64_t t0, std::int64_t t1) const;
  int count_samples(std::int64_t t0, std::int64_t t1) const;

  DomainInfo info_;
  TraceTiming timing_;
  std::size_t sample_count_ = 0;
  std::vector<std::int64_t> sample_t_;  // every sample's stamp (counts, gaps, range)
  std::vector<Point> counter_;          // unwrapped counter, starting at 0 J
  std::optional<LatchedCounter> latched_;  // the same counter at its latch instants (coarse sources)
  std::vector<Point> power_;            // measured power
  std::vector<double> power_cum_j_;     // ∫ power from power_[0].t to power_[i].t
  std::vector<Point> temperature_, memory_;
  std::vector<Span> wraps_, resets_, gaps_;
  // Stretches over which the counter was frozen (kStale). Like resets, they hold no
  // counter energy: windows over them use power when the source reports it, else unknown.
  std::vector<Span> stale_;
  std::int64_t last_change_ns_ = 0;     // when the raw counter last moved
  std::optional<double> last_raw_j_;    // previous raw counter value
  double offset_j_ = 0.0;               // unwrapped = raw + offset
};

}  // namespace ipw::telemetry
