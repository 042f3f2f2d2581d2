#pragma once
// A coarse energy counter: one whose value changes only at its update instants,
// every update period T (NVML ~10 ms), and holds in between. A read returns the
// value latched at the last update, so stamping it with the read's time places
// it up to T late, and interpolating between reads smears a query's edges over a
// whole T. At 100 ms queries that is a 3 % error (docs/BENCHMARKS.md).
//
// LatchedCounter instead puts each new value at its latch instant:
//  * the instant lies in (last read showing the old value, first read showing
//    the new one], and within T of the latter;
//  * when those reads are close (Sampler::sample_latches polls around a query's
//    edges) the midpoint is exact to half a poll step;
//  * otherwise the instant is taken on the update grid of the nearest precise
//    latches (the period measured between two of them, so clock drift cancels),
//    and the midpoint of the bounds when no grid point fits.
// The period that counts grid steps is measured here too, with its uncertainty:
// the one detected at start can be 10 % off on a loaded machine, enough to
// miscount steps. Spans between precise latches refine it whenever their count of
// periods is unambiguous (the bootstrap starts from consecutive precise latches,
// exactly one period apart). A grid point is taken only when exactly one fits the
// latch's bounds within that uncertainty (clamped into them); else the midpoint.
// Between two latches the increase is shared out by a two-level step fitted to
// the neighbouring intervals' power: a query switching load on or off mid-interval
// is the common case at a window's edge. When the neighbours do not bracket the
// interval's mean power the increase is spread linearly.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ipw::telemetry {

// How often Sampler::sample_latches reads a coarse source while it waits for a
// latch: fine enough that the latch counts as precise (within T/8), coarse enough
// that polling costs little (50 reads per period).
inline std::int64_t latch_poll_step_ns(std::int64_t update_period_ns) {
  return update_period_ns / 50 > 100'000 ? update_period_ns / 50 : 100'000;
}

class LatchedCounter {
 public:
  // update_period_ns > 0 (throws std::invalid_argument otherwise), as detected, with the
  // bound on its error that detection gave (0: none; it is then trusted to 20 %).
  explicit LatchedCounter(std::int64_t update_period_ns, std::int64_t period_uncertainty_ns = 0);

  // One read: the (unwrapped) counter value seen by a read that began at t_ns and
  // took read_ns. Reads arrive in time order; equal values are the same latch seen
  // again. A new value was latched before the read returned, so t_ns + read_ns
  // bounds its instant: t_ns alone is too early when the reader was preempted.
  void append(std::int64_t t_ns, double value_j, std::int64_t read_ns = 0);

  // The counter at t_ns. Outside the latches the edge interval's power is held
  // (backwards before the first, forwards after the last); empty before the first
  // latch's instant while there is no interval yet (the caller extrapolates).
  std::optional<double> at(std::int64_t t_ns) const;

  // How far at(t_ns) may be off, as time at the local power: the placement errors
  // of the two latch instants it interpolates between (half their bounds' width,
  // or the grid's error when placed on it), weighted as the interpolation weighs
  // them. Empty before any read.
  std::optional<std::int64_t> uncertainty_at(std::int64_t t_ns) const;

  std::size_t latch_count() const { return latches_.size(); }
  // Estimated instant of latch k (k < latch_count()) and its error bound, for tests
  // and diagnostics.
  std::int64_t instant_ns(std::size_t k) const;
  std::int64_t uncertainty_ns(std::size_t k) const;

 private:
  struct Latch {
    std::int64_t lo_ns;  // the latch happened after this…
    std::int64_t hi_ns;  // …and at or before this
    double value_j;
  };
  bool precise(const Latch& l) const { return l.hi_ns - l.lo_ns <= period_ns_ / 8; }
  std::optional<double> power_between(std::size_t a, std::size_t b) const;  // J/ns
  // The latch the edge interval's power is held from (n >= 2): the last (first) latch's
  // partner a period or more of placed instants away, where there is one.
  std::size_t edge_partner(bool last) const;
  struct Placed {
    std::int64_t ns;
    std::int64_t uncertainty_ns;
  };
  Placed place(std::size_t k) const;
  std::size_t latch_before(std::int64_t t_ns) const;
  struct Period {
    double ns;
    double sigma_ns;  // bound on its error
  };
  // The period counted from precise latch a to precise latch b (a < b), when the
  // number of periods between them is unambiguous given `p`.
  std::optional<Period> period_over(std::size_t a, std::size_t b, Period p) const;
  void refine_period(std::size_t k);  // k: a new precise latch
  static std::int64_t midpoint(const Latch& l) { return l.lo_ns + (l.hi_ns - l.lo_ns) / 2; }
  static double half_width(const Latch& l) { return static_cast<double>(l.hi_ns - l.lo_ns) / 2.0; }

  std::int64_t period_ns_;  // as detected at start: for bounds and thresholds
  Period period_;           // as measured from the precise latches
  std::vector<Latch> latches_;
  std::vector<std::size_t> precise_;  // indices of precise latches, ascending
  std::optional<std::int64_t> last_read_ns_;
};

}  // namespace ipw::telemetry
