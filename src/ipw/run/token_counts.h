#pragma once
// How many tokens a reply produced and how they split into reasoning and answer, from
// what the client saw (docs/analysis.md, "Reasoning and truncation"). The server's
// usage is preferred; without it the streamed pieces are counted, and the query says
// so (QueryRecord::token_source). Text is never re-tokenised: ipw has no tokenizer of
// the model, and a guess would move J/token silently.
#include "ipw/inference/client.h"
#include "ipw/run/query_record.h"

namespace ipw::run {

// Sets q's output_tokens, reasoning_tokens, answer_tokens, token_source,
// finish_reason and reasoning from r.
void count_output_tokens(const inference::Response& r, QueryRecord& q);

}  // namespace ipw::run
