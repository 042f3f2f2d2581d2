#pragma once
// The workload a ProfileConfig names: its dataset read with the format, field
// map and bad-row policy of the config, then the deterministic --sample subset.
// Shared by a new run and --resume, so both pick exactly the same items.
#include "ipw/run/profile_config.h"
#include "ipw/workload/dataset.h"

namespace ipw::run {

// Throws workload::DatasetError for a bad file or row, ipw::UsageError for
// bad flags (a --field without '=', --stratify without --sample). Each skipped row
// is logged as a warning and left in Dataset::warnings for the manifest.
workload::Dataset load_workload(const ProfileConfig& cfg);

}  // namespace ipw::run
