#pragma once
// Choosing a subset of a workload: --sample N --seed S [--stratify FIELD].
// Deterministic on every platform (own PRNG, no std::shuffle), so a seed names
// the same subset everywhere and a resumed run picks the same items.
#include <cstdint>
#include <string>
#include <vector>

#include "ipw/workload/item.h"

namespace ipw::workload {

struct SampleOptions {
  std::size_t n = 0;  // how many items; 0 or >= the dataset's size keeps them all
  std::uint64_t seed = 0;
  std::string stratify;  // "" (none), "category", "source" or "kind"
};

// The chosen items in their original order. With `stratify`, each group gets
// round(n * group share) items (largest remainders, so the total is exactly n)
// and at least one item while n allows, so small categories are not lost.
// Throws ipw::UsageError for an unknown stratify field.
std::vector<Item> sample_items(const std::vector<Item>& items, const SampleOptions& opt);

}  // namespace ipw::workload
