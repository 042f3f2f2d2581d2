#include "ipw/telemetry/update_period.h"

#include <algorithm>
#include <thread>

namespace ipw::telemetry {

Sleeper real_sleeper() {
  return [](std::int64_t ns) {
    if (ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
  };
}

std::optional<std::int64_t> median_interval_ns(const std::vector<std::int64_t>& change_times_ns) {
  if (change_times_ns.size() < 2) return std::nullopt;
  std::vector<std::int64_t> intervals;
  for (std::size_t i = 1; i < change_times_ns.size(); ++i)
    intervals.push_back(change_times_ns[i] - change_times_ns[i - 1]);
  std::sort(intervals.begin(), intervals.end());
  const std::size_t n = intervals.size();
  // Even count: mean of the middle two (integer ns; the half-ns lost is irrelevant).
  return n % 2 == 1 ? intervals[n / 2] : (intervals[n / 2 - 1] + intervals[n / 2]) / 2;
}

namespace {

// Tracks one value stream's change instants.
struct ChangeTracker {
  std::optional<double> last;
  std::vector<std::int64_t> changes_ns;
  bool ever_read = false;

  void observe(std::optional<double> v, std::int64_t t_ns) {
    if (!v) return;
    if (ever_read && *v != *last) changes_ns.push_back(t_ns);
    last = v;
    ever_read = true;
  }

  UpdatePeriod result(const UpdatePeriodOptions& opts) const {
    UpdatePeriod p;
    p.changes_seen = static_cast<int>(changes_ns.size());
    p.period_ns = median_interval_ns(changes_ns);
    if (!ever_read) {
      p.note = "no value could be read";
    } else if (!p.period_ns) {
      p.note = "value changed " + std::to_string(changes_ns.size()) + " time(s) in " +
               std::to_string(static_cast<double>(opts.timeout_ns) * 1e-9) +
               " s; update period unknown";
    } else if (p.changes_seen < opts.changes) {
      p.note = "only " + std::to_string(p.changes_seen) + " changes seen before the timeout";
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
    tracker.observe(read_value(), t);
    if (static_cast<int>(tracker.changes_ns.size()) >= opts.changes) break;
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
    bool all_done = true;
    for (std::size_t i = 0; i < n && i < readings.size(); ++i) {
      const Reading& r = readings[i];
      trackers[i].observe(r.energy_j ? r.energy_j : r.power_w, t);
      if (static_cast<int>(trackers[i].changes_ns.size()) < opts.changes) all_done = false;
    }
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
  if (!p.note.empty()) j["note"] = p.note;
  return j;
}

}  // namespace ipw::telemetry
