#include "ipw/run/judge_policy.h"

namespace ipw::run {

using judge::is_judge_method;
using judge::kMethodFailed;
using judge::kMethodPairwise;
using judge::kMethodReference;
using judge::Protocol;

scoring::Score local_score(const QueryRecord& q) {
  if (q.kind == "exact" || q.kind == "numeric") {
    workload::Item item;
    item.kind = q.kind;
    item.answer = q.reference;
    return scoring::scorer_for_kind(q.kind)->score(item, q.response);
  }
  if (q.kind == "mc" && !is_judge_method(q.score_method)) return {q.correct, q.extracted, q.score_method};
  return {std::nullopt, "", q.kind == "mc" ? "mc" : "none"};
}

std::optional<Protocol> protocol_for(const QueryRecord& q, const scoring::Score& local) {
  if (!q.ok()) return std::nullopt;
  if (q.kind == "chat") return Protocol::pairwise;
  if (q.kind == "reasoning") return Protocol::reference;
  if (!local.correct) return Protocol::reference;
  if (q.kind == "exact" && !*local.correct) return Protocol::reference;
  return std::nullopt;
}

ScoreUpdate apply_judgment(const QueryRecord& q, const scoring::Score& local, Protocol p,
                           const judge::JudgmentRecord& j) {
  ScoreUpdate u;
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

}  // namespace ipw::run
