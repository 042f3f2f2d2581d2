#pragma once
// The accuracy-vs-energy Pareto frontier across runs: a run is on the frontier
// when no other run is at least as accurate with at most the same energy per
// query and strictly better in one of the two.
#include <optional>
#include <vector>

namespace ipw::metrics {

struct ParetoPoint {
  std::optional<double> accuracy;  // maximised
  std::optional<double> cost;      // minimised (mean energy per query, J)
};

// One flag per point; points missing either figure are never on the frontier.
std::vector<bool> pareto_frontier(const std::vector<ParetoPoint>& points);

}  // namespace ipw::metrics
