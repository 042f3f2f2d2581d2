#pragma once
// Numeric answers: the response's final number against the reference, within
// a relative + absolute tolerance.
#include <optional>
#include <string_view>

#include "ipw/scoring/number_parse.h"
#include "ipw/scoring/scorer.h"

namespace ipw::scoring {

// The number the response gives as its answer, in order of preference: the last
// \boxed{…}; the first number after the last answer statement ("The answer is",
// "Answer:") on its line (or the next line, when the statement ends its line);
// otherwise the last number in the response. Reasoning blocks are ignored.
// `extracted` receives the number as written.
std::optional<NumberMatch> extract_final_number(std::string_view response, std::string* extracted = nullptr);

struct NumericTolerance {
  double relative = 1e-6;
  double absolute = 1e-9;
};

// |got - want| <= absolute + relative * |want|, for any reading of either (50% is
// both 50 and 0.5; "1.5 million" both 1.5 and 1.5e6). When both are written as
// plain integers they must be equal (no tolerance on counts).
bool numbers_match(const NumberMatch& got, const NumberMatch& want, NumericTolerance tol = {});

class NumericScorer final : public Scorer {
 public:
  explicit NumericScorer(NumericTolerance tol = {}) : tol_(tol) {}
  std::string name() const override { return "numeric"; }
  // correct is empty when the item's answer holds no single number.
  Score score(const workload::Item& item, const std::string& response) const override;

 private:
  NumericTolerance tol_;
};

}  // namespace ipw::scoring
