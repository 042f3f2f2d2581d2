#pragma once
// How often does a sensor actually change? RAPL counters tick every ~1 ms,
// NVML's energy counter every few to ~100 ms, hwmon power averages every
// ~1 s. Sampling faster than that only re-reads the same value, and a window
// shorter than it cannot be measured from the counter. So at start we read
// the source back-to-back until its value has changed N times and keep the
// median interval between changes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/telemetry/collector.h"

namespace ipw::telemetry {

struct UpdatePeriodOptions {
  int changes = 6;                          // changes to observe (changes-1 intervals)
  // …and at least this long: the span between the first and last changes times
  // the period finely even when a loaded scheduler delays single reads.
  std::int64_t min_span_ns = 200'000'000;
  std::int64_t timeout_ns = 2'500'000'000;  // give up after this long
  std::int64_t poll_ns = 100'000;           // pause between reads (0 = spin)
};

struct UpdatePeriod {
  std::optional<std::int64_t> period_ns;  // median interval between changes; empty if < 2 changes
  // A bound on period_ns's error where one could be given: the period was timed over a
  // span in which no update can have been missed (estimate_period). Empty: not bounded
  // (a loaded machine delayed the reads; 25 detections of a 10 ms counter beside the
  // ASan suite read 9.53-11.78 ms), so users of the period must not trust it finely.
  std::optional<std::int64_t> uncertainty_ns;
  int changes_seen = 0;
  std::string note;  // why it is empty or less certain
};

// Sleeps for ns; tests pass one that advances a fake clock.
using Sleeper = std::function<void(std::int64_t ns)>;
Sleeper real_sleeper();

// Pure part: median of the intervals between change instants (needs >= 2).
std::optional<std::int64_t> median_interval_ns(const std::vector<std::int64_t>& change_times_ns);

// A change seen while polling: it happened after lo_ns (the last read showing the
// old value began) and by hi_ns (the first read showing the new one returned).
struct ChangeBounds {
  std::int64_t lo_ns = 0;
  std::int64_t hi_ns = 0;
  // The longest interval between the starts of two consecutive reads since the previous
  // change (0: not known). Two updates fit in one such interval only if it is longer
  // than a period: below that, no update can hide between this change and the last.
  std::int64_t gap_ns = 0;
};
// The median interval between the midpoints of consecutive changes whose bounds
// are tight (at most twice the median width); all of them when no two tight ones
// are consecutive. Empty with fewer than 2 changes.
std::optional<std::int64_t> period_from_changes(const std::vector<ChangeBounds>& changes);

struct PeriodEstimate {
  std::int64_t period_ns = 0;
  std::optional<std::int64_t> uncertainty_ns;  // see UpdatePeriod
};
// period_from_changes, refined where the reads allow a bound: the longest span between
// two tight changes with every read interval in it under half the rough period (so the
// changes between them count the updates exactly) times the period to the two changes'
// half-widths over the updates counted, and that is its uncertainty.
std::optional<PeriodEstimate> estimate_period(const std::vector<ChangeBounds>& changes);

// One value source (e.g. a single counter file).
UpdatePeriod detect_update_period(const std::function<std::optional<double>()>& read_value,
                                  const Clock& clock, const Sleeper& sleep,
                                  const UpdatePeriodOptions& opts = {});

// Every domain of a collector at once: one read() per poll, a domain's value is
// its energy counter when it has one, else its power. Result is per domain.
std::vector<UpdatePeriod> detect_update_periods(Collector& collector, const Clock& clock,
                                                const Sleeper& sleep,
                                                const UpdatePeriodOptions& opts = {});

// The period a sampler must respect for the whole collector: the slowest known
// domain (never sample faster than any domain changes); 0 when none is known.
std::int64_t slowest_period_ns(const std::vector<UpdatePeriod>& periods);

nlohmann::json to_json(const UpdatePeriod& p);

// What a hardware collector keeps of its domains' update periods: each domain's, for its
// description, and the slowest, which is the collector's update_period_ns().
class MeasuredPeriods {
 public:
  // Only the first `domains` count (a derived domain, such as a sum of the others, repeats
  // their timing).
  void measure(Collector& collector, const Clock& clock, const Sleeper& sleep, const UpdatePeriodOptions& opts,
               std::size_t domains = SIZE_MAX) {
    periods_ = detect_update_periods(collector, clock, sleep, opts);
    if (periods_.size() > domains) periods_.resize(domains);
    slowest_ns_ = slowest_period_ns(periods_);
    slowest_uncertainty_ns_ = 0;
    for (const UpdatePeriod& p : periods_) {
      if (p.period_ns == slowest_ns_ && p.uncertainty_ns) slowest_uncertainty_ns_ = *p.uncertainty_ns;
    }
  }
  std::int64_t slowest_ns() const { return slowest_ns_; }  // 0 until measured
  // The bound on slowest_ns()'s error (0: none known).
  std::int64_t slowest_uncertainty_ns() const { return slowest_uncertainty_ns_; }
  // Adds the domain's "update_period" to its description, when it was measured.
  void describe(std::size_t domain, nlohmann::json& j) const {
    if (domain < periods_.size()) j["update_period"] = to_json(periods_[domain]);
  }

 private:
  std::vector<UpdatePeriod> periods_;
  std::int64_t slowest_ns_ = 0;
  std::int64_t slowest_uncertainty_ns_ = 0;
};

}  // namespace ipw::telemetry
