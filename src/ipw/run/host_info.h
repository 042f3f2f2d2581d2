#pragma once
#include <nlohmann/json.hpp>

namespace ipw::run {

// Machine context for the manifest and every JSON output: CPU model and count,
// memory, OS, kernel, host name. Read from /proc and uname; never throws.
nlohmann::json host_info();

}  // namespace ipw::run
