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
  // update_period_ns > 0 (throws std::invalid_argument otherwise).
  explicit LatchedCounter(std::int64_t update_period_ns);

  // One read: the (unwrapped) counter value seen at t_ns. Reads arrive in time
  // order; equal values are the same latch seen again.
  void append(std::int64_t t_ns, double value_j);

  // The counter at t_ns. Outside the latches the edge interval's power is held
  // (backwards before the first, forwards after the last); empty before the first
  // latch's instant while there is no interval yet (the caller extrapolates).
  std::optional<double> at(std::int64_t t_ns) const;

  std::size_t latch_count() const { return latches_.size(); }
  // Estimated instant of latch k (k < latch_count()), for tests and diagnostics.
  std::int64_t instant_ns(std::size_t k) const;

 private:
  struct Latch {
    std::int64_t lo_ns;  // the latch happened after this…
    std::int64_t hi_ns;  // …and at or before this
    double value_j;
  };
  bool precise(const Latch& l) const { return l.hi_ns - l.lo_ns <= period_ns_ / 8; }
  std::optional<double> power_between(std::size_t a, std::size_t b) const;  // J/ns

  std::int64_t period_ns_;
  std::vector<Latch> latches_;
  std::vector<std::size_t> precise_;  // indices of precise latches, ascending
  std::optional<std::int64_t> last_read_ns_;
};

}  // namespace ipw::telemetry
