#include "ipw/report/trend_report.h"
#include "ipw/common/usage_error.h"
#include "ipw/report/text_cells.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace ipw::report {
metrics::TrendResult build_trend(const std::vector<LoadedRun>& runs,
                                 const std::unordered_map<std::string, std::string>& release_dates,
                                 const std::unordered_map<std::string, std::string>& hardware_dates) {
  std::vector<metrics::TrendPoint> points;
  for (const auto& r : runs) {
    metrics::TrendPoint p;
    p.label = r.label;
    p.model = r.model;
    p.hardware = r.hardware;
    const std::string flag = lookup(release_dates, r);
    p.release_date = flag.empty() ? r.release_date : flag;
    if (p.release_date.empty()) {
      throw UsageError(fmt::format(
          "{} has no release date: profile it with --model-info release_date=YYYY-MM-DD, or pass "
          "ipw trend --release-date {}=YYYY-MM-DD", r.label, r.model));
    }
    if (auto it = hardware_dates.find(r.hardware); it != hardware_dates.end()) {
      p.hardware_release_date = it->second;
    } else {
      p.hardware_release_date = lookup(hardware_dates, r);
    }
    p.accuracy = r.metrics.summary.accuracy;
    p.ipw = r.metrics.summary.ipw;
    p.ipj = r.metrics.summary.ipj;
    points.push_back(std::move(p));
  }
  return metrics::compute_trend(std::move(points));
}

void print_trend(std::FILE* out, const metrics::TrendResult& t) {
  fmt::print(out, "{:<12}{:<40}{:>10}{:>11}{:>11}  {}\n", "released", "run", "accuracy", "IPW (1/W)",
             "IPJ (1/J)", "new best IPW");
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    const auto& p = t.points[i];
    const bool best = std::find(t.frontier.begin(), t.frontier.end(), i) != t.frontier.end();
    fmt::print(out, "{:<12}{:<40}{:>10}{:>11}{:>11}  {}\n", p.release_date, cut(p.label, 39),
               num(p.accuracy, "{:.3f}"), num(p.ipw), num(p.ipj), best ? "*" : "");
  }
  if (t.ipw_growth_per_year) {
    fmt::print(out, "\nbest IPW grows {:.2f}x per year (least squares on log IPW over the new-best runs)\n",
               *t.ipw_growth_per_year);
  }
  if (t.decomposition) {
    const auto& d = *t.decomposition;
    fmt::print(out, "\nIPW gain {} → {}: {:.2f}x total\n", d.start, d.end, d.total);
    fmt::print(out, "  model factor    {}\n  hardware factor {}\n  ({})\n", num(d.model_factor, "{:.2f}x"),
               num(d.hardware_factor, "{:.2f}x"), d.fixed);
  } else if (!t.no_decomposition.empty()) {
    fmt::print(out, "\nnote: {}\n", t.no_decomposition);
  }
}

}  // namespace ipw::report
