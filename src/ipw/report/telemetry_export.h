#pragma once
// Telemetry CSV export (`ipw export RUN --telemetry`): every stored sample, one
// row per (sample instant, domain), streamed from the store. Raw values as read:
// energy_j is the cumulative counter (it may wrap; see docs/telemetry.md).
#include <ostream>
#include <string>
#include <vector>

namespace ipw::run {
class RunStore;
}

namespace ipw::report {

const std::vector<std::string>& telemetry_columns();
// `selected`: the run's IPW domains (manifest telemetry.selected_domains), for the `selected` column.
// Returns the number of rows written.
std::size_t write_telemetry_csv(const run::RunStore& store, const std::vector<std::string>& selected,
                                std::ostream& out);

}  // namespace ipw::report
