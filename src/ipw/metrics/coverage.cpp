#include "ipw/metrics/coverage.h"

#include <algorithm>
#include <map>
#include <set>

#include "ipw/common/json_null.h"

namespace ipw::metrics {
namespace {

bool scored_by_all(const OutcomeTable& t, std::size_t i) {
  for (const auto& r : t.runs) {
    if (r[i].correct < 0) return false;
  }
  return true;
}

CoverageGroup group(const OutcomeTable& t, const std::string& key,
                    const std::vector<std::size_t>& members) {
  CoverageGroup g;
  g.key = key;
  g.models.resize(t.runs.size());
  for (std::size_t i : members) {
    ++g.items;
    std::size_t right = 0, last = 0;
    for (std::size_t m = 0; m < t.runs.size(); ++m) {
      if (t.runs[m][i].correct == 1) {
        ++right;
        last = m;
        ++g.models[m].correct;
      }
    }
    if (right > 0) ++g.covered;
    if (right == 1) ++g.models[last].unique;
  }
  if (g.items > 0) {
    const double n = static_cast<double>(g.items);
    g.coverage = static_cast<double>(g.covered) / n;
    for (auto& m : g.models) {
      m.accuracy = static_cast<double>(m.correct) / n;
      m.marginal = static_cast<double>(m.unique) / n;
    }
  }
  return g;
}

}  // namespace

OutcomeTable align_outcomes(const std::vector<std::unordered_map<std::string, ItemOutcome>>& runs) {
  OutcomeTable t;
  std::set<std::string> all;
  for (const auto& r : runs) {
    for (const auto& [id, o] : r) all.insert(id);
  }
  t.union_items = all.size();
  if (runs.empty()) return t;
  for (const auto& id : all) {
    bool everywhere = true;
    for (const auto& r : runs) everywhere = everywhere && r.count(id) > 0;
    if (everywhere) t.items.push_back(id);
  }
  t.runs.resize(runs.size());
  for (std::size_t m = 0; m < runs.size(); ++m) {
    t.runs[m].reserve(t.items.size());
    for (const auto& id : t.items) t.runs[m].push_back(runs[m].at(id));
  }
  for (const auto& id : t.items) t.categories.push_back(runs[0].at(id).category);
  return t;
}

CoverageResult compute_coverage(const OutcomeTable& t) {
  CoverageResult c;
  std::vector<std::size_t> scored;
  std::map<std::string, std::vector<std::size_t>> by_cat;
  for (std::size_t i = 0; i < t.items.size(); ++i) {
    if (!scored_by_all(t, i)) continue;  // an unscored item says nothing about coverage
    scored.push_back(i);
    by_cat[t.categories[i]].push_back(i);
  }
  c.all = group(t, "all", scored);
  for (const auto& [cat, members] : by_cat) c.by_category.push_back(group(t, cat, members));

  // Greedy: repeatedly add the run that covers the most not-yet-covered items
  // (ties: the lower index, so the order is deterministic).
  std::vector<bool> covered(t.items.size(), false), used(t.runs.size(), false);
  std::size_t total = 0;
  for (std::size_t step = 0; step < t.runs.size() && !scored.empty(); ++step) {
    std::size_t best = t.runs.size(), best_gain = 0;
    for (std::size_t m = 0; m < t.runs.size(); ++m) {
      if (used[m]) continue;
      std::size_t gain = 0;
      for (std::size_t i : scored) gain += !covered[i] && t.runs[m][i].correct == 1;
      if (best == t.runs.size() || gain > best_gain) {
        best = m;
        best_gain = gain;
      }
    }
    used[best] = true;
    for (std::size_t i : scored) {
      if (t.runs[best][i].correct == 1) covered[i] = true;
    }
    total += best_gain;
    c.greedy_order.push_back(best);
    c.greedy_coverage.push_back(static_cast<double>(total) / static_cast<double>(scored.size()));
  }
  return c;
}

nlohmann::json to_json(const CoverageResult& c, const std::vector<std::string>& labels) {
  auto group_json = [&](const CoverageGroup& g) {
    nlohmann::json models = nlohmann::json::array();
    for (std::size_t m = 0; m < g.models.size(); ++m) {
      models.push_back({{"run", m < labels.size() ? labels[m] : std::to_string(m)},
                        {"correct", g.models[m].correct},
                        {"accuracy", json_or_null(g.models[m].accuracy)},
                        {"unique", g.models[m].unique},
                        {"marginal", json_or_null(g.models[m].marginal)}});
    }
    return nlohmann::json{{"key", g.key}, {"items", g.items}, {"covered", g.covered},
                          {"coverage", json_or_null(g.coverage)}, {"models", models}};
  };
  nlohmann::json cats = nlohmann::json::array();
  for (const auto& g : c.by_category) cats.push_back(group_json(g));
  nlohmann::json greedy = nlohmann::json::array();
  for (std::size_t k = 0; k < c.greedy_order.size(); ++k) {
    const std::size_t m = c.greedy_order[k];
    greedy.push_back({{"run", m < labels.size() ? labels[m] : std::to_string(m)},
                      {"coverage", c.greedy_coverage[k]}});
  }
  return {{"all", group_json(c.all)}, {"by_category", cats}, {"greedy", greedy}};
}

}  // namespace ipw::metrics
