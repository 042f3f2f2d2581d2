#pragma once
// One call (or one attempt series) to the LLM judge, as stored in run.db's
// `judgments` table, and the cache interface the judge reads and fills: a
// successful row is reused for any later query with the same cache key.
#include <optional>
#include <string>

namespace ipw::judge {

// Score methods the judge's verdicts are stored under (queries.score_method).
inline constexpr const char* kMethodPairwise = "judge-pairwise";
inline constexpr const char* kMethodReference = "judge-reference";
inline constexpr const char* kMethodFailed = "judge-failed";  // unscored: the judge gave no verdict

inline bool is_judge_method(const std::string& m) {
  return m == kMethodPairwise || m == kMethodReference || m == kMethodFailed;
}

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

// Where judgments are kept and looked up: the judge asks it before calling the
// model and adds every judgment it makes. A run's store is one (run/store.h).
class JudgmentCache {
 public:
  virtual ~JudgmentCache() = default;
  // The newest successful judgment with this key, if any.
  virtual std::optional<JudgmentRecord> cached_judgment(const std::string& cache_key) const = 0;
  virtual void add_judgment(const JudgmentRecord& j) = 0;
};

}  // namespace ipw::judge
