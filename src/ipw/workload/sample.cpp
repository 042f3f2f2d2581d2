#include "ipw/workload/sample.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "ipw/common/rng.h"
#include "ipw/common/usage_error.h"

namespace ipw::workload {
namespace {

// k distinct indices of `pool`, by a partial Fisher–Yates shuffle.
std::vector<std::size_t> choose(std::vector<std::size_t> pool, std::size_t k, SplitMix64& rng) {
  k = std::min(k, pool.size());
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below_exact(pool.size() - i));
    std::swap(pool[i], pool[j]);
  }
  pool.resize(k);
  return pool;
}

const std::string& group_of(const Item& item, const std::string& field) {
  if (field == "category") return item.category;
  if (field == "source") return item.source;
  return item.kind;
}

}  // namespace

std::vector<Item> sample_items(const std::vector<Item>& items, const SampleOptions& opt) {
  if (!opt.stratify.empty() && opt.stratify != "category" && opt.stratify != "source" && opt.stratify != "kind") {
    throw UsageError("cannot stratify by '" + opt.stratify + "' (expected category, source or kind)");
  }
  if (opt.n == 0 || opt.n >= items.size()) return items;
  SplitMix64 rng(opt.seed);
  std::vector<std::size_t> chosen;
  if (opt.stratify.empty()) {
    std::vector<std::size_t> all(items.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    chosen = choose(std::move(all), opt.n, rng);
  } else {
    std::map<std::string, std::vector<std::size_t>> groups;  // ordered: the same on every run
    for (std::size_t i = 0; i < items.size(); ++i) groups[group_of(items[i], opt.stratify)].push_back(i);
    // Proportional quotas: every group gets at least one while there are no more
    // groups than n; then the quotas are brought to exactly n, taking from the
    // largest and giving to the largest remainder.
    struct Quota {
      const std::string* name;
      std::size_t size, take;
      double exact;
    };
    std::vector<Quota> quotas;
    std::size_t given = 0;
    const bool one_each = groups.size() <= opt.n;
    for (const auto& [name, members] : groups) {
      const double exact =
          static_cast<double>(opt.n) * static_cast<double>(members.size()) / static_cast<double>(items.size());
      std::size_t take = static_cast<std::size_t>(exact);
      if (one_each) take = std::max<std::size_t>(take, 1);
      quotas.push_back({&name, members.size(), std::min(take, members.size()), exact});
      given += quotas.back().take;
    }
    while (given > opt.n) {
      auto largest = std::max_element(quotas.begin(), quotas.end(),
                                      [](const Quota& a, const Quota& b) { return a.take < b.take; });
      --largest->take;
      --given;
    }
    while (given < opt.n) {
      Quota* best = nullptr;
      for (Quota& q : quotas) {
        if (q.take < q.size &&
            (!best || q.exact - static_cast<double>(q.take) > best->exact - static_cast<double>(best->take))) {
          best = &q;
        }
      }
      ++best->take;  // exists: n < items.size()
      ++given;
    }
    for (const Quota& q : quotas) {
      std::vector<std::size_t> picked = choose(groups[*q.name], q.take, rng);
      chosen.insert(chosen.end(), picked.begin(), picked.end());
    }
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<Item> out;
  out.reserve(chosen.size());
  for (std::size_t i : chosen) out.push_back(items[i]);
  return out;
}

}  // namespace ipw::workload
