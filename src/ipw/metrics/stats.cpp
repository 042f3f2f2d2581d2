#include "ipw/metrics/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ipw::metrics {

std::optional<double> mean(const std::vector<double>& xs) {
  if (xs.empty()) return std::nullopt;
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

std::optional<double> percentile(std::vector<double> xs, double p) {
  if (xs.empty()) return std::nullopt;
  std::sort(xs.begin(), xs.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(xs.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = static_cast<std::size_t>(std::ceil(rank));
  const double frac = rank - static_cast<double>(lo);
  return xs[lo] + (xs[hi] - xs[lo]) * frac;
}

std::optional<Interval> wilson_interval(std::size_t successes, std::size_t n, double z) {
  if (n == 0) return std::nullopt;
  const double nn = static_cast<double>(n);
  const double phat = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double denom = 1.0 + z2 / nn;
  const double centre = (phat + z2 / (2.0 * nn)) / denom;
  const double half = z * std::sqrt(phat * (1.0 - phat) / nn + z2 / (4.0 * nn * nn)) / denom;
  return Interval{std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Distribution describe(const std::vector<double>& xs) {
  Distribution d;
  d.n = xs.size();
  d.mean = mean(xs);
  d.p50 = percentile(xs, 50);
  d.p90 = percentile(xs, 90);
  d.p99 = percentile(xs, 99);
  return d;
}

}  // namespace ipw::metrics
