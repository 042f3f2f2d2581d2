#pragma once
// `ipw trend`: IPW/IPJ by model release date and the model/hardware split.
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "ipw/metrics/trend.h"
#include "ipw/report/run_set.h"

namespace ipw::report {

// release_dates / hardware_dates: NAME=YYYY-MM-DD from flags (NAME: model,
// label, run dir or, for hardware, the accelerator name); flags override the
// manifest's model_info.release_date.
metrics::TrendResult build_trend(const std::vector<LoadedRun>& runs,
                                 const std::unordered_map<std::string, std::string>& release_dates,
                                 const std::unordered_map<std::string, std::string>& hardware_dates);
void print_trend(std::FILE* out, const metrics::TrendResult& t);

}  // namespace ipw::report
