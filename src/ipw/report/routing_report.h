#pragma once
// `ipw route`: runs the routing simulation over loaded runs and presents it.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/routing.h"
#include "ipw/report/run_set.h"

namespace ipw::report {

struct RoutingReport {
  std::vector<std::string> labels;  // locals, then the cloud run
  metrics::RoutingOptions options;
  metrics::RoutingResult routing;
  std::vector<metrics::LoadResult> load;  // empty without an arrival model
  std::string arrival_model;              // "poisson 2/s x 1000", "trace FILE", or ""
  std::vector<std::string> warnings;
};

// `runs` holds the local runs first and the cloud run last. Parameter counts
// missing from `options.parameters` are taken from each run's manifest.
RoutingReport build_routing_report(const std::vector<LoadedRun>& runs, metrics::RoutingOptions options,
                                   const std::optional<metrics::LoadOptions>& load,
                                   const std::string& arrival_model);
void print_routing(std::FILE* out, const RoutingReport& r);
nlohmann::json to_json(const RoutingReport& r);

}  // namespace ipw::report
