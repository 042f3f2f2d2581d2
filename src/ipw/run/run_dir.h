#pragma once
#include <string>

namespace ipw::run {

// Creates a new, unique run directory under `out_root` named
// <UTC time>-<model>-<4 hex>; never reuses an existing directory.
std::string create_run_dir(const std::string& out_root, const std::string& model);

}  // namespace ipw::run
