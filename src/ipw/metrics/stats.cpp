#include "ipw/metrics/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ipw::metrics {

std::optional<double> mean(const std::vector<double>& xs) {
  if (xs.empty()) return std::nullopt;
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

namespace {
double percentile_of_sorted(const std::vector<double>& xs, double p) {
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(xs.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = static_cast<std::size_t>(std::ceil(rank));
  const double frac = rank - static_cast<double>(lo);
  return xs[lo] + (xs[hi] - xs[lo]) * frac;
}
}  // namespace

std::optional<double> percentile(std::vector<double> xs, double p) {
  if (xs.empty()) return std::nullopt;
  std::sort(xs.begin(), xs.end());
  return percentile_of_sorted(xs, p);
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
  if (xs.empty()) return d;
  std::vector<double> sorted = xs;  // one sort for all three percentiles
  std::sort(sorted.begin(), sorted.end());
  d.p50 = percentile_of_sorted(sorted, 50);
  d.p90 = percentile_of_sorted(sorted, 90);
  d.p99 = percentile_of_sorted(sorted, 99);
  return d;
}

std::optional<double> trimmed_mean(std::vector<double> xs, double proportion) {
  if (xs.empty()) return std::nullopt;
  const auto cut = static_cast<std::size_t>(
      std::floor(std::clamp(proportion, 0.0, 0.5) * static_cast<double>(xs.size())));
  if (2 * cut >= xs.size()) return percentile(std::move(xs), 50);  // nothing left: the median
  // Only the order statistics at the cut points matter: two partial selections
  // (O(n)) instead of a full sort, which matters at a million queries.
  if (cut > 0) {
    std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(cut), xs.end());
    const auto hi = xs.end() - static_cast<std::ptrdiff_t>(cut);
    std::nth_element(xs.begin() + static_cast<std::ptrdiff_t>(cut), hi - 1, xs.end());
  }
  double sum = 0;
  for (std::size_t i = cut; i < xs.size() - cut; ++i) sum += xs[i];
  return sum / static_cast<double>(xs.size() - 2 * cut);
}

std::optional<double> ratio(std::optional<double> num, std::optional<double> den) {
  if (!num || !den || *den <= 0) return std::nullopt;
  return *num / *den;
}

}  // namespace ipw::metrics
