#include "ipw/metrics/item_outcomes.h"

namespace ipw::metrics {

void ItemOutcomeBuilder::add(const run::QueryRecord& q) {
  Acc& a = items_[q.item_id];
  if (a.category.empty()) a.category = q.category;
  a.accuracy.add(q);
  if (q.input_tokens) {
    ++a.in_n;
    a.in += *q.input_tokens;
  }
  if (!q.ok()) return;
  ++a.ok_n;
  a.latency += q.latency_s();
  if (q.output_tokens) {
    ++a.out_n;
    a.out += *q.output_tokens;
  }
  if (q.energy_j) {
    ++a.energy_n;
    a.energy += *q.energy_j;
  }
}

std::unordered_map<std::string, ItemOutcome> ItemOutcomeBuilder::finish() const {
  std::unordered_map<std::string, ItemOutcome> out;
  out.reserve(items_.size());
  for (const auto& [id, a] : items_) {
    ItemOutcome o;
    if (a.accuracy.scored > 0) o.correct = a.accuracy.mostly_correct() ? 1 : 0;
    if (a.energy_n > 0) o.energy_j = a.energy / a.energy_n;
    if (a.ok_n > 0) o.latency_s = a.latency / a.ok_n;
    if (a.in_n > 0) o.input_tokens = a.in / a.in_n;
    if (a.out_n > 0) o.output_tokens = a.out / a.out_n;
    o.category = a.category;
    out.emplace(id, std::move(o));
  }
  return out;
}

}  // namespace ipw::metrics
