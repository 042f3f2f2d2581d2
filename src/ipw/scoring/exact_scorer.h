#pragma once
// Short factual answers: normalised equality with the reference (or any of its
// "|"-separated alternatives), or a regular expression when the answer is "re:PATTERN".
#include <string>
#include <string_view>
#include <vector>

#include "ipw/scoring/scorer.h"

namespace ipw::scoring {

// The parts of a response that could be its answer, most specific first: the
// text after the last answer statement (to the end of its line, and to the end
// of its first clause), the last \boxed{…}, the last **bold** span, the last and
// the first non-empty line, the first line's first clause, and the whole
// response. Reasoning blocks are ignored.
std::vector<std::string> answer_candidates(std::string_view response);

class ExactScorer final : public Scorer {
 public:
  std::string name() const override { return "exact"; }
  // "re:PATTERN": ECMAScript regex, case-insensitive, searched in the response
  // (reasoning removed); an invalid pattern leaves the item unscored.
  // Otherwise correct when a candidate's normalised text equals an alternative's.
  Score score(const workload::Item& item, const std::string& response) const override;
};

}  // namespace ipw::scoring
