#include "ipw/report/html_figures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "ipw/metrics/stats.h"
#include "ipw/metrics/summary.h"
#include "ipw/report/power_timeline.h"
#include "ipw/run/store.h"

namespace ipw::report {
namespace {

struct QueryInterval {
  int session;
  std::int64_t start, first, end;
  bool ok;
};

struct Span {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  void add(std::int64_t t) {
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  bool empty() const { return lo > hi; }
};

}  // namespace

nlohmann::json histogram(std::vector<double> xs, int bins) {
  nlohmann::json h = {{"n", xs.size()}, {"edges", nlohmann::json::array()}, {"counts", nlohmann::json::array()},
                      {"clipped", 0}};
  if (xs.empty() || bins < 1) return h;
  std::sort(xs.begin(), xs.end());
  const double lo = xs.front();
  double hi = *metrics::percentile(xs, 99);
  if (hi <= lo) hi = lo + std::max(1e-9, std::abs(lo) * 1e-6);
  const double w = (hi - lo) / bins;
  std::vector<std::size_t> counts(static_cast<std::size_t>(bins), 0);
  std::size_t clipped = 0;
  for (double x : xs) {
    auto b = static_cast<std::ptrdiff_t>(std::floor((x - lo) / w));
    if (b >= bins) {
      if (x > hi) ++clipped;
      b = bins - 1;
    }
    ++counts[static_cast<std::size_t>(std::max<std::ptrdiff_t>(b, 0))];
  }
  for (int b = 0; b <= bins; ++b) h["edges"].push_back(lo + w * b);
  h["counts"] = counts;
  h["clipped"] = clipped;
  return h;
}

nlohmann::json run_figures(const LoadedRun& run, const FigureOptions& opts) {
  const auto store = run::RunStore::open(run.dir, /*read_only=*/true);
  // ---- pass 1: queries ----
  std::vector<QueryInterval> intervals;
  std::map<int, Span> query_span;
  std::vector<double> ttft_ms, tpot_ms, latency_s;
  nlohmann::json scatter = nlohmann::json::array();
  const std::size_t n = store.query_count();
  const std::size_t stride = std::max<std::size_t>(1, (n + opts.scatter_points - 1) / std::max<std::size_t>(opts.scatter_points, 1));
  std::size_t k = 0;
  run::RunStore::QueryReadOptions read;
  store.for_each_query(
      [&](const run::QueryRecord& q) {
        intervals.push_back({q.session, q.t_start_ns, q.t_first_token_ns, q.t_end_ns, q.ok()});
        auto& span = query_span[q.session];
        span.add(q.t_start_ns);
        span.add(q.t_end_ns);
        if (q.ok()) {
          latency_s.push_back(q.latency_s());
          if (auto t = q.ttft_s()) ttft_ms.push_back(*t * 1e3);
          if (auto t = metrics::tpot_s(q)) tpot_ms.push_back(*t * 1e3);
          if (k++ % stride == 0 && q.energy_j && q.output_tokens) {
            scatter.push_back({q.input_tokens.value_or(0), *q.output_tokens, *q.energy_j,
                               q.correct ? (*q.correct ? 1 : 0) : -1});
          }
        }
      },
      read);

  // ---- pass 2: samples of the selected domains, sessions laid end to end ----
  const auto domains = store.domains();
  std::map<int, int> local;  // store domain index -> timeline domain
  std::vector<double> wraps;
  nlohmann::json included = nlohmann::json::array();
  for (const auto& d : domains) {
    const auto& sel = run.domains_included;
    if (!sel.empty() && std::find(sel.begin(), sel.end(), d.info.domain) == sel.end()) continue;
    local[d.index] = static_cast<int>(wraps.size());
    wraps.push_back(d.info.wrap_j);
    included.push_back(d.info.domain);
  }
  PowerTimeline timeline(wraps, opts.timeline_points);
  std::map<int, std::int64_t> offset;  // session -> shift onto the common axis
  std::int64_t prev_end = 0;
  bool started = false;
  int current = -1;
  Span current_span;
  auto open_session = [&](int s, std::int64_t first_t) {
    if (current >= 0) {
      std::int64_t end = current_span.hi;
      if (auto it = query_span.find(current); it != query_span.end()) end = std::max(end, it->second.hi);
      prev_end = end + offset[current];
    }
    if (auto it = query_span.find(s); it != query_span.end()) first_t = std::min(first_t, it->second.lo);
    offset[s] = started ? prev_end + 1'000'000'000 - first_t : 0;
    started = true;
    current = s;
    current_span = Span();
    timeline.end_segment();
  };
  store.for_each_sample([&](int session, const telemetry::Sample& s) {
    const auto it = local.find(s.domain_index);
    if (it == local.end()) return;
    if (session != current) open_session(session, s.t_ns);
    current_span.add(s.t_ns);
    telemetry::Sample shifted = s;
    shifted.t_ns += offset[session];
    timeline.add(it->second, shifted);
  });
  for (const auto& [s, span] : query_span) {  // sessions that stored no samples
    if (!offset.count(s)) open_session(s, span.lo);
  }
  const std::int64_t origin = timeline.origin_ns();
  auto secs = [&](int session, std::int64_t t) {
    return static_cast<double>(t + offset[session] - origin) * 1e-9;
  };

  // ---- phases: exact per query for small runs, dominant phase per bucket otherwise ----
  nlohmann::json areas = nlohmann::json::array(), starts = nlohmann::json::array();
  const bool exact = intervals.size() <= opts.exact_phase_queries;
  if (exact) {
    for (const auto& q : intervals) {
      starts.push_back(secs(q.session, q.start));
      if (!q.ok) {
        areas.push_back({secs(q.session, q.start), secs(q.session, q.end), "error"});
      } else if (q.first > 0) {
        areas.push_back({secs(q.session, q.start), secs(q.session, q.first), "prefill"});
        areas.push_back({secs(q.session, q.first), secs(q.session, q.end), "decode"});
      } else {
        areas.push_back({secs(q.session, q.start), secs(q.session, q.end), "decode"});
      }
    }
  } else if (!intervals.empty()) {
    std::int64_t last = 0;
    for (const auto& q : intervals) last = std::max(last, q.end + offset[q.session]);
    timeline.for_each_bucket_overlap(last - 1, last, [](std::size_t, double) {});  // fix the grid
    std::vector<std::array<double, 3>> share;  // prefill, decode, error ns per bucket
    auto add = [&](std::int64_t t0, std::int64_t t1, int phase) {
      timeline.for_each_bucket_overlap(t0, t1, [&](std::size_t b, double ns) {
        if (share.size() <= b) share.resize(b + 1, {0, 0, 0});
        share[b][static_cast<std::size_t>(phase)] += ns;
      });
    };
    for (const auto& q : intervals) {
      const std::int64_t off = offset[q.session];
      if (!q.ok) {
        add(q.start + off, q.end + off, 2);
      } else {
        const std::int64_t split = q.first > 0 ? q.first : q.start;
        add(q.start + off, split + off, 0);
        add(split + off, q.end + off, 1);
      }
    }
    const double width = static_cast<double>(timeline.bucket_width_ns());
    static const char* const kNames[] = {"prefill", "decode", "error"};
    int open = -1;
    double open_t = 0;
    for (std::size_t b = 0; b <= share.size(); ++b) {
      int phase = -1;
      if (b < share.size()) {
        const auto& s = share[b];
        const auto top = static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
        if (s[static_cast<std::size_t>(top)] > 0.25 * width) phase = top;  // else mostly idle
      }
      if (phase != open) {
        const double t = static_cast<double>(b) * width * 1e-9;
        if (open >= 0) areas.push_back({open_t, t, kNames[open]});
        open = phase;
        open_t = t;
      }
    }
  }
  nlohmann::json power = nlohmann::json::array();
  for (const auto& p : timeline.points()) power.push_back({p.t_s, p.power_w});
  nlohmann::json session_starts = nlohmann::json::array();
  for (const auto& [s, off] : offset) {
    if (s != offset.begin()->first) session_starts.push_back(static_cast<double>(off - origin) * 1e-9);
  }
  return {{"timeline",
           {{"power_w", power},
            {"bucket_s", static_cast<double>(timeline.bucket_width_ns()) * 1e-9},
            {"domains", included},
            {"phases", areas},
            {"phases_exact", exact},
            {"query_starts", starts},
            {"session_starts", session_starts},
            {"skipped_intervals", timeline.intervals_skipped()}}},
          {"scatter", {{"points", scatter}, {"stride", stride}, {"queries", n}}},
          {"histograms",
           {{"ttft_ms", histogram(std::move(ttft_ms), opts.histogram_bins)},
            {"tpot_ms", histogram(std::move(tpot_ms), opts.histogram_bins)},
            {"latency_s", histogram(std::move(latency_s), opts.histogram_bins)}}}};
}

}  // namespace ipw::report
