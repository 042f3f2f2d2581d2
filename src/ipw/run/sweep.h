#pragma once
// The stages of a load run (docs/load.md). `--sweep concurrency=1,2,4` or
// `--sweep rate=1,2,4` runs the workload once per value, each stage at the run's
// flags with that one setting changed; without --sweep a run has one stage.
#include <string>
#include <vector>

#include "ipw/run/profile_config.h"

namespace ipw::run {

struct Sweep {
  std::string key;             // concurrency | rate
  std::vector<double> values;  // in the order given
};
// Throws ipw::UsageError naming the accepted form for an unknown key, an empty
// list, or a value that is not a number (concurrency: a whole number >= 1; rate: > 0).
Sweep parse_sweep(const std::string& spec);

// The configuration of each stage: `cfg` itself without --sweep, else one copy per
// value with concurrency (or rate) set to it. Throws ipw::UsageError for a sweep
// that contradicts the other load flags (e.g. a concurrency sweep with --rate).
std::vector<ProfileConfig> stage_configs(const ProfileConfig& cfg);

// How many parallel slots an engine ipw starts needs: the most queries any stage
// keeps in flight (an uncapped open loop: its rate's worth of 4 s, at least 4).
int engine_slots(const ProfileConfig& cfg);

}  // namespace ipw::run
