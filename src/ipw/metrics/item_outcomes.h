#pragma once
// Per-item outcomes of one run (repeats folded), the input of coverage and
// routing: which items a model answers correctly, and at what cost.
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "ipw/metrics/accuracy_tally.h"
#include "ipw/run/query_record.h"

namespace ipw::metrics {

struct ItemOutcome {
  // Majority verdict over the item's repeats: 1 when more than half of its
  // scored repeats are correct, 0 otherwise, -1 when none was scored.
  std::int8_t correct = -1;
  double energy_j = NAN;  // mean over repeats with an energy figure (NaN: none)
  double latency_s = NAN;  // mean over successful repeats
  double input_tokens = NAN, output_tokens = NAN;  // means over repeats that report them
  std::string category;
};

class ItemOutcomeBuilder {
 public:
  void add(const run::QueryRecord& q);
  std::unordered_map<std::string, ItemOutcome> finish() const;

 private:
  struct Acc {
    AccuracyTally accuracy;
    int energy_n = 0, ok_n = 0, in_n = 0, out_n = 0;
    double energy = 0, latency = 0, in = 0, out = 0;
    std::string category;
  };
  std::unordered_map<std::string, Acc> items_;
};

}  // namespace ipw::metrics
