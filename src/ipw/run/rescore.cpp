#include "ipw/run/rescore.h"

#include <fmt/format.h>

#include "ipw/common/utc_time.h"
#include "ipw/run/judge_policy.h"

namespace ipw::run {

using judge::JudgeOutcome;
using judge::kMethodPairwise;
using judge::kMethodReference;

std::optional<JudgeOutcome> judge_query(judge::Judge& judge, QueryRecord& q, RunStore& store) {
  const scoring::Score local = local_score(q);
  const auto protocol = protocol_for(q, local);
  if (!protocol) return std::nullopt;
  JudgeOutcome out = judge.judge({*protocol, q.prompt, q.response, q.reference, q.seq, q.repeat, q.stage}, store);
  const ScoreUpdate u = apply_judgment(q, local, *protocol, out.record);
  q.correct = u.correct;
  q.score_method = u.score_method;
  return out;
}

RescoreStats rescore_run(RunStore& store, judge::Judge& judge, const RescoreOptions& opts,
                         const std::atomic<bool>& stop, const RescoreProgress& progress) {
  RescoreStats st;
  std::vector<QueryRecord> todo;
  RunStore::QueryReadOptions read;
  read.texts = true;
  store.for_each_query(
      [&](const QueryRecord& q) {
        ++st.queries;
        if (!protocol_for(q, local_score(q))) return;
        ++st.eligible;
        if (!opts.rescore_all && (q.score_method == kMethodPairwise || q.score_method == kMethodReference)) {
          ++st.kept;
          return;
        }
        todo.push_back(q);
      },
      read);

  std::vector<ScoreUpdate> updates;
  int unreachable = 0;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (stop.load()) {
      st.interrupted = true;
      break;
    }
    QueryRecord q = todo[i];
    const auto out = judge_query(judge, q, store);
    if (out->cache_hit) {
      ++st.cache_hits;
    } else {
      ++st.judge_calls;
      st.input_tokens += out->record.input_tokens.value_or(0);
      st.output_tokens += out->record.output_tokens.value_or(0);
    }
    if (!out->record.ok()) ++st.failures;
    const std::string& err = out->record.error;
    unreachable = err.rfind("connect", 0) == 0 || err.rfind("timeout_connect", 0) == 0 ? unreachable + 1 : 0;
    if (q.correct != todo[i].correct || q.score_method != todo[i].score_method) {
      ++st.changed;
      updates.push_back({q.stage, q.seq, q.repeat, q.correct, q.score_method});
    }
    if (progress) progress(i + 1, todo.size());
    if (unreachable >= kMaxUnreachableInARow) {
      st.stopped_because = fmt::format("{} judgments in a row could not reach the judge (last: {})",
                                       unreachable, err);
      break;
    }
  }
  store.update_scores(updates);
  // The manifest names the judge behind the run's verdicts: one that gave none
  // (unreachable, every judgment failed) has not become that judge.
  if (st.failures > 0 && st.judge_calls + st.cache_hits == st.failures) return st;
  nlohmann::json manifest = store.manifest();
  nlohmann::json record = judge::to_manifest(judge.config());
  record["scored_utc"] = utc_now_iso();
  record["rescore_all"] = opts.rescore_all;
  manifest["judge"] = record;
  store.write_manifest(manifest);
  return st;
}

}  // namespace ipw::run
