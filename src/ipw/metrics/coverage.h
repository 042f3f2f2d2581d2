#pragma once
// Coverage across models over the same workload (docs/analysis.md): the share of
// items at least one model answers correctly (the best-of-N oracle), each
// model's marginal contribution (items only it answers), a greedy curve of how
// coverage grows model by model, all overall and per category.
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/item_outcomes.h"

namespace ipw::metrics {

// Outcomes of several runs aligned on the items every run answered.
struct OutcomeTable {
  std::vector<std::string> items;       // sorted item ids common to all runs
  std::vector<std::string> categories;  // per item
  std::vector<std::vector<ItemOutcome>> runs;  // [run][item]
  std::size_t union_items = 0;          // items seen by any run (to report what was dropped)
};
OutcomeTable align_outcomes(const std::vector<std::unordered_map<std::string, ItemOutcome>>& runs);

struct ModelCoverage {
  std::size_t correct = 0;
  std::optional<double> accuracy;  // on the group's scored items
  std::size_t unique = 0;          // items only this model answers correctly
  std::optional<double> marginal;  // unique / items: coverage lost without this model
};

struct CoverageGroup {
  std::string key;  // "all" or a category
  std::size_t items = 0;    // items scored by every run
  std::size_t covered = 0;  // answered correctly by at least one
  std::optional<double> coverage;
  std::vector<ModelCoverage> models;  // per run, in input order
};

struct CoverageResult {
  CoverageGroup all;
  std::vector<CoverageGroup> by_category;
  std::vector<std::size_t> greedy_order;  // run indices, most useful first
  std::vector<double> greedy_coverage;    // coverage after adding each
};

CoverageResult compute_coverage(const OutcomeTable& table);

nlohmann::json to_json(const CoverageResult& c, const std::vector<std::string>& labels);

}  // namespace ipw::metrics
