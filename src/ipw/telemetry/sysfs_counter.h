#pragma once
// Mean power derived from a cumulative energy counter (RAPL energy_uj, hwmon
// energy1_input, an SMI accumulator). Such sources have no instantaneous power
// reading, but the live display, short windows and reset fallbacks want one.
// Power is averaged over a trailing window (default 100 ms) because a counter
// that ticks every ~1 ms makes a 10 ms difference jitter by ±10 %.
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace ipw::telemetry {

class CounterPower {
 public:
  // wrap_j: the counter's wrap range (0 = does not wrap). A drop that a wrap
  // explains with a power below max_plausible_w is a wrap; any other drop is a
  // reset and restarts the history (no power until two readings follow it).
  explicit CounterPower(double wrap_j, std::int64_t window_ns = 100'000'000,
                        double max_plausible_w = 20'000.0);

  // Feed a raw counter reading; returns mean power (W) over the trailing window,
  // empty for the first reading after construction or a reset.
  std::optional<double> update(std::int64_t t_ns, double raw_j);

  // Counter drops seen so far that were classified as wraps / resets.
  int wraps() const { return wraps_; }
  int resets() const { return resets_; }

 private:
  double wrap_j_;
  std::int64_t window_ns_;
  double max_plausible_w_;
  std::optional<std::pair<std::int64_t, double>> last_raw_;  // (t, raw)
  double offset_j_ = 0.0;                                    // added wraps
  std::deque<std::pair<std::int64_t, double>> history_;      // (t, unwrapped)
  int wraps_ = 0;
  int resets_ = 0;
};

}  // namespace ipw::telemetry
