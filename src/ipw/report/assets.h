#pragma once
// The HTML report's front-end files, embedded at build time (cmake/report_web.cmake):
// report.html (template), report.css, report.js and the charting library
// echarts.min.js (from npm; missing when the build had no node_modules).
#include <optional>
#include <string_view>
#include <vector>

namespace ipw::report {

struct Asset {
  const char* name;
  std::string_view content;
};

const std::vector<Asset>& report_assets();

inline std::optional<std::string_view> find_asset(std::string_view name) {
  for (const auto& a : report_assets()) {
    if (name == a.name) return a.content;
  }
  return std::nullopt;
}

}  // namespace ipw::report
