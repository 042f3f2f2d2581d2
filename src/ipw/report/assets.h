#pragma once
// The HTML report's front-end files, embedded at build time (cmake/report_web.cmake):
// report.html (template), report.css, report.js and the charting library
// echarts.min.js (from npm; missing when the build had no node_modules).
#include "ipw/common/embedded_file.h"

namespace ipw::report {

const std::vector<EmbeddedFile>& report_assets();

inline std::optional<std::string_view> find_asset(std::string_view name) { return find_embedded(report_assets(), name); }

}  // namespace ipw::report
