#include "ipw/telemetry/update_period.h"

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <utility>

namespace ipw::telemetry {

Sleeper real_sleeper() {
  return [](std::int64_t ns) {
    if (ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
  };
}

namespace {

std::optional<std::int64_t> median_ns(std::vector<std::int64_t> xs) {
  if (xs.empty()) return std::nullopt;
  std::sort(xs.begin(), xs.end());
  const std::size_t n = xs.size();
  // Even count: mean of the middle two (integer ns; the half-ns lost is irrelevant).
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

}  // namespace

std::optional<std::int64_t> median_interval_ns(const std::vector<std::int64_t>& change_times_ns) {
  std::vector<std::int64_t> intervals;
  for (std::size_t i = 1; i < change_times_ns.size(); ++i)
    intervals.push_back(change_times_ns[i] - change_times_ns[i - 1]);
  return median_ns(std::move(intervals));
}

std::optional<std::int64_t> period_from_changes(const std::vector<ChangeBounds>& changes) {
  if (changes.size() < 2) return std::nullopt;
  const auto width = [](const ChangeBounds& c) { return c.hi_ns - c.lo_ns; };
  const auto mid = [](const ChangeBounds& c) { return c.lo_ns + (c.hi_ns - c.lo_ns) / 2; };
  std::vector<std::int64_t> widths;
  for (const auto& c : changes) widths.push_back(width(c));
  const auto lower_median = widths.begin() + static_cast<std::ptrdiff_t>((widths.size() - 1) / 2);
  std::nth_element(widths.begin(), lower_median, widths.end());
  const std::int64_t tight = 2 * *lower_median;
  std::vector<std::size_t> tight_at;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (width(changes[i]) <= tight) tight_at.push_back(i);
  }
  // Between two tight changes every change in between is one update: polling is
  // far faster than the source, so the span divides by their count.
  std::vector<std::int64_t> steps_ns;
  for (std::size_t k = 1; k < tight_at.size(); ++k) {
    const std::size_t i = tight_at[k - 1], j = tight_at[k];
    steps_ns.push_back((mid(changes[j]) - mid(changes[i])) / static_cast<std::int64_t>(j - i));
  }
  const std::optional<std::int64_t> rough = median_ns(std::move(steps_ns));
  if (!rough || tight_at.size() < 2) return rough;
  // The first and last tight changes time the period over the whole span: their
  // placement error is divided by every update between them, provided none was
  // missed (the count of changes matches the span at the rough period).
  const std::size_t i = tight_at.front(), j = tight_at.back();
  const std::int64_t span = mid(changes[j]) - mid(changes[i]);
  const auto steps = static_cast<std::int64_t>(j - i);
  if (std::llround(static_cast<double>(span) / static_cast<double>(*rough)) != steps) return rough;
  return span / steps;
}

std::optional<PeriodEstimate> estimate_period(const std::vector<ChangeBounds>& changes) {
  const std::optional<std::int64_t> rough = period_from_changes(changes);
  if (!rough) return std::nullopt;
  PeriodEstimate e{*rough, std::nullopt};
  const auto width = [](const ChangeBounds& c) { return c.hi_ns - c.lo_ns; };
  const auto mid = [](const ChangeBounds& c) { return c.lo_ns + (c.hi_ns - c.lo_ns) / 2; };
  // Tight enough to time the period by: an eighth of it.
  const auto tight = [&](const ChangeBounds& c) { return width(c) <= *rough / 8; };
  // Runs of changes each with no read interval of half a period or more before it (no
  // update hid in one), whose steps between consecutive tight changes all agree with
  // the rough period (none skipped an update: a source whose value did not move).
  std::size_t best_i = 0, best_j = 0;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (!tight(changes[i])) continue;
    std::size_t last_tight = i;
    for (std::size_t j = i + 1; j < changes.size(); ++j) {
      const std::int64_t gap = changes[j].gap_ns;
      if (gap <= 0 || 2 * gap >= *rough) break;
      if (!tight(changes[j])) continue;
      const std::int64_t step = (mid(changes[j]) - mid(changes[last_tight])) / static_cast<std::int64_t>(j - last_tight);
      if (4 * std::llabs(step - *rough) > *rough) break;
      last_tight = j;
      if (j - i > best_j - best_i) {
        best_i = i;
        best_j = j;
      }
    }
  }
  if (best_j - best_i < 2) return e;  // no span longer than two updates: unbounded
  const auto steps = static_cast<std::int64_t>(best_j - best_i);
  e.period_ns = (mid(changes[best_j]) - mid(changes[best_i])) / steps;
  e.uncertainty_ns = (width(changes[best_i]) + width(changes[best_j])) / 2 / steps + 1;
  return e;
}

namespace {

// Tracks one value stream's changes. Each change happened after the last read
// that still showed the old value began and before the first read showing the
// new one returned; a reader delayed by the scheduler widens those bounds, so
// only changes with tight bounds time the period (a loaded machine otherwise
// reads a 10 ms counter as 11 ms).
struct ChangeTracker {
  std::optional<double> last;
  std::int64_t last_read_ns = 0;
  std::vector<ChangeBounds> changes;
  bool ever_read = false;
  std::int64_t gap_ns = 0;  // the longest interval between read starts since the last change
  bool bounded = false;     // the period is known to 1/kBoundedFraction of itself

  // Polling goes on (to the timeout) until the period is bounded this finely: on a
  // loaded machine that takes longer than the minimum span.
  static constexpr std::int64_t kBoundedFraction = 200;

  bool done(const UpdatePeriodOptions& opts) const {
    return static_cast<int>(changes.size()) >= opts.changes && bounded;
  }

  void observe(std::optional<double> v, std::int64_t t_ns, std::int64_t t_end_ns) {
    if (!v) return;
    if (ever_read) gap_ns = std::max(gap_ns, t_ns - last_read_ns);
    if (ever_read && *v != *last) {
      changes.push_back({last_read_ns, t_end_ns, gap_ns});
      gap_ns = 0;
      const auto e = estimate_period(changes);
      bounded = e && e->uncertainty_ns && *e->uncertainty_ns * kBoundedFraction <= e->period_ns;
    }
    last = v;
    last_read_ns = t_ns;
    ever_read = true;
  }

  UpdatePeriod result(const UpdatePeriodOptions& opts) const {
    UpdatePeriod p;
    p.changes_seen = static_cast<int>(changes.size());
    if (const auto e = estimate_period(changes)) {
      p.period_ns = e->period_ns;
      p.uncertainty_ns = e->uncertainty_ns;
    }
    if (!ever_read) {
      p.note = "no value could be read";
    } else if (!p.period_ns) {
      p.note = "value changed " + std::to_string(changes.size()) + " time(s) in " +
               std::to_string(static_cast<double>(opts.timeout_ns) * 1e-9) +
               " s; update period unknown";
    } else if (p.changes_seen < opts.changes) {
      p.note = "only " + std::to_string(p.changes_seen) + " changes seen before the timeout";
    } else if (!p.uncertainty_ns) {
      p.note = "the reads were delayed too often to bound the period's error";
    }
    return p;
  }
};

}  // namespace

UpdatePeriod detect_update_period(const std::function<std::optional<double>()>& read_value,
                                  const Clock& clock, const Sleeper& sleep,
                                  const UpdatePeriodOptions& opts) {
  ChangeTracker tracker;
  const std::int64_t t_begin = clock.now_ns();
  while (true) {
    const std::int64_t t = clock.now_ns();
    const std::optional<double> v = read_value();
    tracker.observe(v, t, clock.now_ns());
    if (tracker.done(opts) && t - t_begin >= opts.min_span_ns) break;
    if (t - t_begin >= opts.timeout_ns) break;
    sleep(opts.poll_ns);
  }
  return tracker.result(opts);
}

std::vector<UpdatePeriod> detect_update_periods(Collector& collector, const Clock& clock,
                                                const Sleeper& sleep,
                                                const UpdatePeriodOptions& opts) {
  const std::size_t n = collector.domains().size();
  std::vector<ChangeTracker> trackers(n);
  std::vector<Reading> readings(n);
  const std::int64_t t_begin = clock.now_ns();
  while (true) {
    const std::int64_t t = clock.now_ns();
    collector.read(t, readings);
    const std::int64_t t_end = clock.now_ns();
    bool all_done = true;
    for (std::size_t i = 0; i < n && i < readings.size(); ++i) {
      const Reading& r = readings[i];
      trackers[i].observe(r.energy_j ? r.energy_j : r.power_w, t, t_end);
      if (!trackers[i].done(opts)) all_done = false;
    }
    if (t - t_begin < opts.min_span_ns) all_done = false;
    if (all_done || t - t_begin >= opts.timeout_ns) break;
    sleep(opts.poll_ns);
  }
  std::vector<UpdatePeriod> out;
  for (const auto& tr : trackers) out.push_back(tr.result(opts));
  return out;
}

std::int64_t slowest_period_ns(const std::vector<UpdatePeriod>& periods) {
  std::int64_t slowest = 0;
  for (const auto& p : periods)
    if (p.period_ns) slowest = std::max(slowest, *p.period_ns);
  return slowest;
}

nlohmann::json to_json(const UpdatePeriod& p) {
  nlohmann::json j = {{"changes_seen", p.changes_seen}};
  j["period_s"] = p.period_ns ? nlohmann::json(static_cast<double>(*p.period_ns) * 1e-9)
                              : nlohmann::json(nullptr);
  if (p.uncertainty_ns) j["uncertainty_s"] = static_cast<double>(*p.uncertainty_ns) * 1e-9;
  if (!p.note.empty()) j["note"] = p.note;
  return j;
}

}  // namespace ipw::telemetry
