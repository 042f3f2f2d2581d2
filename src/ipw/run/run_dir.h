#pragma once
#include <string>

namespace ipw::run {

// Creates a new, unique run directory under `out_root` named
// <UTC time>-<model>-<4 hex>; never reuses an existing directory.
std::string create_run_dir(const std::string& out_root, const std::string& model);

// UTC now as ISO-8601 ("2026-11-25T13:14:15Z").
std::string utc_now_iso();

}  // namespace ipw::run
