#include "ipw/report/html_report.h"

#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/utc_time.h"
#include "ipw/common/version.h"
#include "ipw/report/assets.h"
#include "ipw/report/comparison.h"
#include "ipw/report/routing_report.h"

namespace ipw::report {
namespace {

// Replaces every occurrence of `key` in `s` (the template is small; the
// inserted assets are large but inserted last, so they are never scanned).
void replace_all(std::string& s, const std::string& key, const std::string& value) {
  for (std::size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + value.size())) {
    s.replace(pos, key.size(), value);
  }
}

}  // namespace

std::string json_for_script(const nlohmann::json& data) {
  const std::string raw = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size() + raw.size() / 64);
  for (char c : raw) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

nlohmann::json report_data(const std::vector<LoadedRun>& runs, const LoadedRun* cloud,
                           const HtmlReportOptions& opts) {
  nlohmann::json out = {{"schema", 1},
                        {"ipw_version", kVersion},
                        {"git_revision", kGitRevision},
                        {"generated_utc", opts.generated_utc.empty() ? utc_now_iso() : opts.generated_utc},
                        {"runs", nlohmann::json::array()},
                        {"comparison", nullptr},
                        {"routing", nullptr}};
  for (const auto& r : runs) {
    out["runs"].push_back({{"label", r.label},
                           {"dir", r.dir},
                           {"model", r.model},
                           {"hardware", r.hardware},
                           {"workload", r.workload},
                           {"domains", r.domains_included},
                           {"idle_power_w", r.idle_power_w ? nlohmann::json(*r.idle_power_w) : nlohmann::json()},
                           {"summary", metrics::to_json(r.metrics.summary)},
                           {"analysis", metrics::to_json(r.metrics)},
                           {"figures", run_figures(r, opts.figures)},
                           {"stages", metrics::to_json(r.stages)},
                           {"saturation", metrics::to_json(r.saturation)}});
  }
  if (runs.size() >= 2) out["comparison"] = to_json(compare_runs(runs, opts.sort_key));
  if (cloud) {
    std::vector<LoadedRun> all = runs;
    all.push_back(*cloud);
    out["routing"] = to_json(build_routing_report(all, opts.routing, std::nullopt, ""));
  }
  return out;
}

std::string render_html(const nlohmann::json& data, const std::string& title) {
  const auto echarts = find_asset("echarts.min.js");
  if (!echarts || echarts->empty()) {
    throw std::runtime_error(
        "this ipw was built without the charting library: run `npm ci` in the source tree "
        "(scripts/setup.sh does), re-run cmake and rebuild");
  }
  const auto tmpl = find_asset("report.html"), css = find_asset("report.css"), js = find_asset("report.js");
  if (!tmpl || !css || !js) throw std::runtime_error("report assets missing from this build");
  std::string html(*tmpl);
  replace_all(html, "{{IPW_TITLE}}", html_escape(title));
  replace_all(html, "{{IPW_VERSION}}", html_escape(kVersion));
  // Large inserts last and once each, in template order; each search starts
  // after the previous insert, so inserted text is never mistaken for a slot.
  std::size_t from = 0;
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"/*IPW_CSS*/", std::string(*css)},
                                   {"/*IPW_DATA*/", json_for_script(data)},
                                   {"/*IPW_ECHARTS*/", std::string(*echarts)},
                                   {"/*IPW_JS*/", std::string(*js)}}) {
    const auto pos = html.find(key, from);
    if (pos == std::string::npos) throw std::runtime_error("report template lacks " + key);
    html.replace(pos, key.size(), value);
    from = pos + value.size();
  }
  return html;
}

}  // namespace ipw::report
