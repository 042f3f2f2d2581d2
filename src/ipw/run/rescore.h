#pragma once
// Applying the judge to queries: one at a time while profiling (right after each
// query, outside its energy window), or to a whole stored run (`ipw score`).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ipw/judge/judge.h"
#include "ipw/run/query_record.h"
#include "ipw/run/store.h"

namespace ipw::run {

// Judges `q` when judge_policy.h says it needs the judge, and sets q.correct and
// q.score_method from the judgment. Returns nullopt when the query was not judged.
std::optional<judge::JudgeOutcome> judge_query(judge::Judge& judge, QueryRecord& q, RunStore& store);

struct RescoreOptions {
  // false: only queries without a judge verdict yet (never judged, or the judge
  // failed). true: every query the judge decides, replacing earlier verdicts
  // (the cache still answers those this judge and prompt version already gave).
  bool rescore_all = false;
};

struct RescoreStats {
  std::size_t queries = 0;      // stored queries
  std::size_t eligible = 0;     // queries the judge decides
  std::size_t kept = 0;         // eligible but already judged (without --rescore-all)
  std::size_t judge_calls = 0;  // judgments asked of the judge (not from the cache)
  std::size_t cache_hits = 0;
  std::size_t failures = 0;     // judgments with no verdict (queries left unscored or locally scored)
  std::size_t changed = 0;      // queries whose (correct, score_method) changed
  std::int64_t input_tokens = 0, output_tokens = 0;  // judge tokens of the calls made
  bool interrupted = false;
  std::string stopped_because;  // non-empty: the judge was unreachable, judging stopped early
};

// Judging stops after this many judgments in a row could not reach the judge at all
// (each costs the full retry back-off): the URL is wrong or the server is down.
inline constexpr int kMaxUnreachableInARow = 3;

using RescoreProgress = std::function<void(std::size_t done, std::size_t total)>;

// Judges the stored run in (seq, repeat) order, then writes every changed verdict
// in one transaction and records the judge in the manifest. An interrupt stops the
// judging; the verdicts obtained so far are still written (and cached).
RescoreStats rescore_run(RunStore& store, judge::Judge& judge, const RescoreOptions& opts,
                         const std::atomic<bool>& stop, const RescoreProgress& progress = {});

}  // namespace ipw::run
