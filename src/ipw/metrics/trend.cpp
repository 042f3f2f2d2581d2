#include "ipw/metrics/trend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ipw/common/json_null.h"
#include "ipw/common/usage_error.h"

namespace ipw::metrics {
namespace {

// The best-IPW point among those matching `pred` (nullptr when none).
template <typename Pred>
const TrendPoint* best(const std::vector<TrendPoint>& pts, Pred pred) {
  const TrendPoint* b = nullptr;
  for (const auto& p : pts) {
    if (p.ipw && pred(p) && (!b || *p.ipw > *b->ipw)) b = &p;
  }
  return b;
}

// `why_not` says why there is none, for the printout and the JSON.
std::optional<TrendDecomposition> decompose(const std::vector<TrendPoint>& pts, std::string& why_not) {
  std::vector<TrendPoint> with;
  std::vector<std::string> without;
  for (const auto& p : pts) {
    if (p.ipw && *p.ipw > 0) {
      with.push_back(p);
    } else {
      without.push_back(p.label);
    }
  }
  if (with.size() < 2) {
    why_not = fmt::format("no IPW gain: it needs two runs with IPW above 0, and {} of {} have IPW 0 or unknown ({})",
                          without.size(), pts.size(), fmt::join(without, ", "));
    return std::nullopt;
  }
  const std::string d0 = with.front().release_date, d1 = with.back().release_date;  // sorted
  if (d0 == d1) {
    why_not = fmt::format("no IPW gain: every run with IPW above 0 has the release date {}", d0);
    return std::nullopt;
  }
  std::set<std::string> hardware;
  bool hw_dates = true;
  for (const auto& p : with) {
    hardware.insert(p.hardware);
    hw_dates = hw_dates && !p.hardware_release_date.empty();
  }
  TrendDecomposition d;
  if (hardware.size() == 1) {
    const TrendPoint* s = best(with, [&](const TrendPoint& p) { return p.release_date == d0; });
    const TrendPoint* e = best(with, [&](const TrendPoint& p) { return p.release_date == d1; });
    d.start = s->label;
    d.end = e->label;
    d.total = *e->ipw / *s->ipw;
    d.model_factor = d.total;
    d.hardware_factor = 1.0;
    d.fixed = fmt::format("one accelerator ({}): the whole gain is the model's", *hardware.begin());
    return d;
  }
  if (!hw_dates) {
    d.fixed = "several accelerators without release dates: pass --hardware-date NAME=YYYY-MM-DD";
    const TrendPoint* s = best(with, [&](const TrendPoint& p) { return p.release_date == d0; });
    const TrendPoint* e = best(with, [&](const TrendPoint& p) { return p.release_date == d1; });
    d.start = s->label;
    d.end = e->label;
    d.total = *e->ipw / *s->ipw;
    return d;
  }
  auto hw_cmp = [](const TrendPoint& a, const TrendPoint& b) {
    return a.hardware_release_date < b.hardware_release_date;
  };
  const std::string h0 = std::min_element(with.begin(), with.end(), hw_cmp)->hardware;
  const std::string h1 = std::max_element(with.begin(), with.end(), hw_cmp)->hardware;
  const TrendPoint* s = best(with, [&](const TrendPoint& p) { return p.release_date == d0 && p.hardware == h0; });
  const TrendPoint* e = best(with, [&](const TrendPoint& p) { return p.release_date == d1 && p.hardware == h1; });
  if (!s || !e) {
    d.fixed = fmt::format("needs runs of the earliest model on {} and the latest model on {}", h0, h1);
    return d;
  }
  d.start = s->label;
  d.end = e->label;
  d.total = *e->ipw / *s->ipw;
  if (const TrendPoint* x = best(with, [&](const TrendPoint& p) { return p.model == e->model && p.hardware == h0; })) {
    d.hardware_factor = *e->ipw / *x->ipw;
    d.model_factor = *x->ipw / *s->ipw;
    d.fixed = fmt::format("hardware factor from {} on both accelerators", e->model);
  } else if (const TrendPoint* y = best(with, [&](const TrendPoint& p) { return p.model == s->model && p.hardware == h1; })) {
    d.hardware_factor = *y->ipw / *s->ipw;
    d.model_factor = *e->ipw / *y->ipw;
    d.fixed = fmt::format("hardware factor from {} on both accelerators", s->model);
  } else {
    d.fixed = fmt::format("needs a run of {} on {} or of {} on {}", e->model, h0, s->model, h1);
  }
  return d;
}

}  // namespace

std::optional<long> days_from_date(const std::string& date) {
  int y = 0;
  unsigned m = 0, dd = 0;
  char tail = 0;
  if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2u-%2u%c", &y, &m, &dd, &tail) != 3) {
    return std::nullopt;
  }
  static const unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || dd < 1 || dd > kDays[m - 1]) return std::nullopt;
  // Days from civil (H. Hinnant's algorithm).
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + dd - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

TrendResult compute_trend(std::vector<TrendPoint> points) {
  for (const auto& p : points) {
    if (!days_from_date(p.release_date)) {
      throw UsageError(fmt::format(
          "{}: release date '{}' is not YYYY-MM-DD (set manifest model_info.release_date or "
          "--release-date)", p.label, p.release_date));
    }
  }
  std::sort(points.begin(), points.end(), [](const TrendPoint& a, const TrendPoint& b) {
    return std::tie(a.release_date, a.label) < std::tie(b.release_date, b.label);
  });
  TrendResult t;
  std::optional<double> running;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].ipw && (!running || *points[i].ipw > *running)) {
      running = points[i].ipw;
      t.frontier.push_back(i);
    }
  }
  // Growth: least squares of ln(IPW) on years over the frontier points.
  if (t.frontier.size() >= 2) {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i : t.frontier) {
      const double x = static_cast<double>(*days_from_date(points[i].release_date)) / 365.25;
      const double y = std::log(*points[i].ipw);
      n += 1;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const double den = n * sxx - sx * sx;
    if (den > 1e-12) t.ipw_growth_per_year = std::exp((n * sxy - sx * sy) / den);
  }
  t.points = std::move(points);
  t.decomposition = decompose(t.points, t.no_decomposition);
  return t;
}

nlohmann::json to_json(const TrendResult& t) {
  nlohmann::json pts = nlohmann::json::array();
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    const auto& p = t.points[i];
    pts.push_back({{"label", p.label}, {"model", p.model}, {"hardware", p.hardware},
                   {"release_date", p.release_date},
                   {"hardware_release_date", p.hardware_release_date},
                   {"accuracy", json_or_null(p.accuracy)}, {"ipw", json_or_null(p.ipw)}, {"ipj", json_or_null(p.ipj)},
                   {"frontier", std::find(t.frontier.begin(), t.frontier.end(), i) != t.frontier.end()}});
  }
  nlohmann::json dec;
  if (t.decomposition) {
    const auto& d = *t.decomposition;
    dec = {{"start", d.start}, {"end", d.end}, {"total", d.total},
           {"model_factor", json_or_null(d.model_factor)}, {"hardware_factor", json_or_null(d.hardware_factor)},
           {"how", d.fixed}};
  }
  return {{"points", pts}, {"ipw_growth_per_year", json_or_null(t.ipw_growth_per_year)}, {"decomposition", dec},
          {"decomposition_note", t.no_decomposition.empty() ? nlohmann::json() : nlohmann::json(t.no_decomposition)}};
}

}  // namespace ipw::metrics
