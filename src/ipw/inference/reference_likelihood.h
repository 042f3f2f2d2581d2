#pragma once
// The likelihood of a reference answer under the served model (a log-probability probe, not a
// scoring::Scorer: it judges no answer): the summed negative log-likelihood of its
// tokens given the prompt, from which perplexity (and PPW/PPJ, docs/analysis.md) follow.
//
// How, on llama.cpp's server (the only engine implemented; docs/engines.md lists the others):
// the server cannot echo prompt log-probabilities, so the reference is made the *generated*
// continuation instead. /tokenize gives its canonical token ids; a grammar that admits exactly
// that token sequence (`root ::= <[id1]> <[id2]> ...`) forces generation to reproduce it; and
// `logprobs` with the default pre-sampling probabilities returns each forced token's log-probability
// under the model's raw distribution (before sampling and before the grammar mask). That is
// teacher forcing over HTTP: one request per query, the prompt served from the slot's cache.
#include <memory>
#include <string>
#include <vector>

#include "ipw/common/expected.h"
#include "ipw/inference/client.h"

namespace ipw::inference {

struct ReferenceScore {
  double nll_nats = 0;  // −Σ log p(token_i | prompt, tokens_<i), natural log
  int tokens = 0;       // reference tokens scored
};

class ReferenceLikelihood {
 public:
  virtual ~ReferenceLikelihood() = default;
  // `prompt` is sent exactly as the profiled query was (chat message or raw completion prompt);
  // `continuation` is the text whose tokens are scored. The error says what failed and where.
  virtual Expected<ReferenceScore, std::string> score(const std::string& model, const std::string& prompt,
                                                      bool chat, const std::string& continuation) = 0;
};

// llama.cpp's server (the embedded engine, or any llama-server given with --server).
std::unique_ptr<ReferenceLikelihood> make_llama_reference_likelihood(const ClientOptions& opts);

// The pieces of the llama.cpp protocol, exposed for unit tests.
std::string token_sequence_grammar(const std::vector<int>& ids);
Expected<std::vector<int>, std::string> parse_tokenize_reply(const std::string& body);
// Checks that the reply generated exactly `ids` and sums their log-probabilities.
Expected<ReferenceScore, std::string> parse_forced_logprobs(const std::string& body,
                                                            const std::vector<int>& ids);

}  // namespace ipw::inference
