#pragma once
// The one definition of accuracy over a set of queries: correct / scored, where
// a query is scored when it has a verdict (a failed query is scored wrong) and a
// query nobody could score counts in neither. The run summary, the per-category
// and per-source tables, the repeats and the per-item outcomes all tally with it.
#include <cstddef>
#include <optional>

#include "ipw/metrics/stats.h"
#include "ipw/run/query_record.h"

namespace ipw::metrics {

struct AccuracyTally {
  std::size_t scored = 0, correct = 0;

  void add(const run::QueryRecord& q) {
    if (!q.correct) return;
    ++scored;
    if (*q.correct) ++correct;
  }
  std::optional<double> accuracy() const {
    if (scored == 0) return std::nullopt;
    return static_cast<double>(correct) / static_cast<double>(scored);
  }
  // Wilson 95% interval; empty when nothing was scored.
  std::optional<Interval> ci95() const {
    if (scored == 0) return std::nullopt;
    return wilson_interval(correct, scored);
  }
  // More than half of the scored verdicts are correct (an item over its repeats).
  bool mostly_correct() const { return 2 * correct > scored; }
};

}  // namespace ipw::metrics
