#pragma once
// Which stored queries the judge decides, and what its judgment does to them
// (docs/workloads.md, "LLM judge"). The deterministic scorers stay authoritative
// wherever they can decide: the judge only adds verdicts they cannot give.
#include <optional>
#include <string>

#include "ipw/judge/judgment_record.h"
#include "ipw/judge/prompts.h"
#include "ipw/run/query_record.h"
#include "ipw/run/store.h"
#include "ipw/scoring/scorer.h"

namespace ipw::run {

// The query's verdict without a judge. Exact and numeric answers are recomputed
// from the stored reference and response (their scorers need nothing else);
// multiple choice keeps its stored verdict (its options are not stored); chat and
// reasoning items have none.
scoring::Score local_score(const QueryRecord& q);

// The protocol a query is judged with, or none:
//  - failed queries: none (they are wrong, counted apart);
//  - kind chat: pairwise against the reference reply;
//  - kind reasoning: reference-based;
//  - any other kind: reference-based when its local scorer could not mark it
//    correct *and* could not decide it for sure — an exact answer with no match
//    (a paraphrase the normaliser cannot see), or an item the scorer cannot score;
//    numeric and multiple-choice verdicts are final.
std::optional<judge::Protocol> protocol_for(const QueryRecord& q, const scoring::Score& local);

// The query's new (correct, score_method) after a judgment. A failed judgment
// leaves an earlier judge's verdict in place (a --rescore-all whose judge is
// down changes nothing), else the local verdict where there is one (an
// unmatched exact answer stays wrong), and the query unscored otherwise —
// never wrong because the judge failed.
ScoreUpdate apply_judgment(const QueryRecord& q, const scoring::Score& local, judge::Protocol p,
                           const judge::JudgmentRecord& j);

}  // namespace ipw::run
