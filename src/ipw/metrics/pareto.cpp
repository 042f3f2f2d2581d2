#include "ipw/metrics/pareto.h"

namespace ipw::metrics {

std::vector<bool> pareto_frontier(const std::vector<ParetoPoint>& points) {
  std::vector<bool> on(points.size(), false);
  // Quadratic on purpose: compared runs number in the tens, and this form makes
  // ties (equal points are both kept) obvious.
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    if (!p.accuracy || !p.cost) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j) {
      const auto& o = points[j];
      if (j == i || !o.accuracy || !o.cost) continue;
      dominated = *o.accuracy >= *p.accuracy && *o.cost <= *p.cost &&
                  (*o.accuracy > *p.accuracy || *o.cost < *p.cost);
    }
    on[i] = !dominated;
  }
  return on;
}

}  // namespace ipw::metrics
