#pragma once
// Pure statistics used by every metric: no I/O, exact unit tests.
#include <cstddef>
#include <optional>
#include <vector>

namespace ipw::metrics {

struct Interval {
  double lo = 0.0;
  double hi = 0.0;
};

std::optional<double> mean(const std::vector<double>& xs);
// Percentile p in [0, 100] with linear interpolation between order statistics
// (numpy's default "linear" method), so figures match pandas/numpy exports.
std::optional<double> percentile(std::vector<double> xs, double p);
// Wilson score interval for a binomial proportion; z = 1.96 gives 95%.
std::optional<Interval> wilson_interval(std::size_t successes, std::size_t n, double z = 1.96);

struct Distribution {
  std::size_t n = 0;
  std::optional<double> mean, p50, p90, p99;
};
Distribution describe(const std::vector<double>& xs);

// Mean after dropping floor(proportion * n) values from each end (scipy's
// stats.trim_mean): the 5%-trimmed IPW/IPJ use proportion 0.05 so that a few
// outlier windows (a throttled query, a flagged counter) cannot move the figure.
std::optional<double> trimmed_mean(std::vector<double> xs, double proportion);

// Ratio num / den when both exist and den > 0 (the IPW family's shape).
std::optional<double> ratio(std::optional<double> num, std::optional<double> den);

}  // namespace ipw::metrics
