#pragma once
// The part of a run's manifest every kind of run opens with (profile, proxy, agent):
// the schema, ipw's version, when and how it was started, the host, and the server.
// Each run adds its own parts (workload, decoding, proxy) and its config.
#include <string>

#include <nlohmann/json.hpp>

#include "ipw/run/profile_config.h"

namespace ipw::run {

// `server_url` is stored redacted; `c` gives the server's API, model and engine.
nlohmann::json manifest_head(const std::string& command_line, const std::string& server_url, const ProfileConfig& c);

}  // namespace ipw::run
