#pragma once
// The run flags of the commands that measure requests through the proxy (`ipw proxy`,
// `ipw agent`): one definition, the same names and help as `ipw profile`'s.
#include <CLI/CLI.hpp>

#include "ipw/run/profile_config.h"

namespace ipw::cli {

// --model, --out, --telemetry, --domains, --sample-period-ms, --idle-seconds, --attribution.
void add_observe_flags(CLI::App& app, run::ProfileConfig& c, const char* idle_help);

}  // namespace ipw::cli
