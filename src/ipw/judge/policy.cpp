#include "ipw/judge/policy.h"

namespace ipw::judge {

bool is_judge_method(const std::string& m) { return m == kMethodPairwise || m == kMethodReference || m == kMethodFailed; }

scoring::Score local_score(const run::QueryRecord& q) {
  if (q.kind == "exact" || q.kind == "numeric") {
    workload::Item item;
    item.kind = q.kind;
    item.answer = q.reference;
    return scoring::scorer_for_kind(q.kind)->score(item, q.response);
  }
  if (q.kind == "mc" && !is_judge_method(q.score_method)) return {q.correct, q.extracted, q.score_method};
  return {std::nullopt, "", q.kind == "mc" ? "mc" : "none"};
}

std::optional<Protocol> protocol_for(const run::QueryRecord& q, const scoring::Score& local) {
  if (!q.ok()) return std::nullopt;
  if (q.kind == "chat") return Protocol::pairwise;
  if (q.kind == "reasoning") return Protocol::reference;
  if (!local.correct) return Protocol::reference;
  if (q.kind == "exact" && !*local.correct) return Protocol::reference;
  return std::nullopt;
}

run::ScoreUpdate apply_judgment(const run::QueryRecord& q, const scoring::Score& local, Protocol p,
                                const run::JudgmentRecord& j) {
  run::ScoreUpdate u;
  u.seq = q.seq;
  u.repeat = q.repeat;
  u.stage = q.stage;
  if (j.ok()) {
    u.correct = j.correct;
    u.score_method = p == Protocol::pairwise ? kMethodPairwise : kMethodReference;
  } else if (q.correct && (q.score_method == kMethodPairwise || q.score_method == kMethodReference)) {
    // An earlier judge's verdict stands: a judge that could not be asked now
    // (unreachable, timed out, no verdict) has said nothing against it.
    u.correct = q.correct;
    u.score_method = q.score_method;
  } else if (local.correct) {
    u.correct = local.correct;
    u.score_method = local.method;
  } else {
    u.score_method = kMethodFailed;
  }
  return u;
}

}  // namespace ipw::judge
