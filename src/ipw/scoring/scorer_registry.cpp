// The one table of local scorers, by item kind. A new scorer is one file plus one line here.
#include <memory>
#include <utility>

#include "ipw/scoring/exact_scorer.h"
#include "ipw/scoring/mc_scorer.h"
#include "ipw/scoring/numeric_scorer.h"
#include "ipw/scoring/scorer.h"

namespace ipw::scoring {
namespace {

using Registry = std::vector<std::pair<std::string, std::unique_ptr<Scorer>>>;

const Registry& registry() {
  static const Registry table = [] {
    Registry t;
    t.emplace_back("mc", std::make_unique<McScorer>());
    t.emplace_back("numeric", std::make_unique<NumericScorer>());
    t.emplace_back("exact", std::make_unique<ExactScorer>());
    return t;
  }();
  return table;
}

}  // namespace

const Scorer* scorer_for_kind(const std::string& kind) {
  for (const auto& [name, scorer] : registry()) {
    if (name == kind) return scorer.get();
  }
  return nullptr;
}

std::vector<std::string> scorer_names() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

}  // namespace ipw::scoring
