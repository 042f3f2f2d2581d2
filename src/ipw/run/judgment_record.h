#pragma once
// One call (or one attempt series) to the LLM judge, as stored in run.db's
// `judgments` table. The table doubles as the judge cache: a successful row is
// reused for any later query with the same cache key.
#include <optional>
#include <string>

namespace ipw::run {

struct JudgmentRecord {
  std::string cache_key;       // hex SHA-256 of (protocol, prompt, answer, reference, judge model, prompt version+hash)
  int seq = -1, repeat = -1;   // the query that asked for it (later cache hits are other queries)
  std::string protocol;        // reference | pairwise
  std::string judge_model;
  std::string prompt_version;  // e.g. pairwise-v1
  std::string verdict;         // "true"/"false" or "A>>B"…; empty on failure
  std::optional<bool> correct; // empty on failure
  std::string raw_reply;       // the judge's text as received (also on an unparseable verdict)
  std::optional<int> input_tokens, output_tokens;  // summed over attempts, from the server's usage
  std::string error;           // empty on success
  int attempts = 0;            // HTTP requests made (retries included)
  std::string t_utc;           // when the judgment finished
  int stage = 0;               // the asking query's load stage (schema 5; 0 before)

  bool ok() const { return error.empty() && correct.has_value(); }
};

// A new verdict for a stored query (`ipw score`).
struct ScoreUpdate {
  int stage = 0, seq = 0, repeat = 0;
  std::optional<bool> correct;
  std::string score_method;
};

}  // namespace ipw::run
