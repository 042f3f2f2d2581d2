#pragma once
// What `ipw profile --resume RUN` runs with: the stored configuration, with the flags
// given again on top, under the rules that keep one run one experiment
// (docs/run-layout.md, "Resume").
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/run/profile_config.h"

namespace ipw::run {

// The configuration keys the given flags set (long names without dashes, e.g.
// "connect-timeout"), with their values in `cfg`: what a resume overrides. A flag
// that sets no key (--resume itself, --seed's derived keys aside) adds nothing.
nlohmann::json overrides_from_flags(const std::vector<std::string>& flags, const ProfileConfig& cfg);

// The stored configuration with `overrides` applied. Throws ipw::UsageError when an
// override would change the run's items (format, fields, bad-row policy, sample, shard), or when a
// stored URL lost its credentials (never stored) and was not given again.
ProfileConfig resume_config(const nlohmann::json& stored, const nlohmann::json& overrides,
                            const std::string& run_dir);

}  // namespace ipw::run
