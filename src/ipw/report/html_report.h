#pragma once
// `ipw report`: one self-contained, offline HTML file with the report's data,
// the charting library and the renderer inlined (see web/ and assets.h).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/routing.h"
#include "ipw/report/html_figures.h"
#include "ipw/report/run_set.h"

namespace ipw::report {

struct HtmlReportOptions {
  std::string title;  // default: "ipw report — <label>" or "ipw report — N runs"
  FigureOptions figures;
  std::string sort_key = "ipw";
  metrics::RoutingOptions routing;  // used when a cloud run is given
  std::string generated_utc;        // default: now (tests pin it)
};

// `cloud`: optional cloud run for the routing section (locals = runs).
nlohmann::json report_data(const std::vector<LoadedRun>& runs, const LoadedRun* cloud,
                           const HtmlReportOptions& opts);
// Throws std::runtime_error when this build has no embedded charting library.
std::string render_html(const nlohmann::json& data, const std::string& title);

// Safe inside <script type="application/json">: '<' becomes \u003c, which
// JSON allows only inside strings, where it means the same character.
std::string json_for_script(const nlohmann::json& data);
std::string html_escape(const std::string& s);

}  // namespace ipw::report
