#pragma once
// Reading a verdict out of a judge's free-text reply. Judges (small local models
// especially) wrap the verdict in markdown, think first, or restate it, so the
// parsers accept many spellings; a reply they cannot read is a judge failure
// (the query stays unscored), never a guess.
#include <optional>
#include <string>
#include <string_view>

namespace ipw::judge {

struct Verdict {
  bool correct = false;
  std::string label;  // "true" / "false", or one of "A>>B" "A>B" "A=B" "B>A" "B>>A"
};

// Reference-based: "Verdict: True", "**true**", "FALSE.", "Verdict: [[False]]",
// "verdict: correct" / "incorrect", "Verdict: not true". Reasoning blocks are ignored.
std::optional<Verdict> parse_reference_verdict(std::string_view reply);

// Pairwise, reply A = the model's answer, reply B = the reference. The five
// verdicts A>>B, A>B, A=B (a tie) count as correct; B>A, B>>A as wrong.
// "[[A>B]]", "[A > B]", "**[[B>>A]]**", "Verdict: A=B", "A<B" (= B>A), "Verdict: tie".
// When several appear, the last bracketed one wins; a reply that lists three or
// more different bracketed verdicts (an echo of the instructions) needs a
// "verdict" label to be read.
std::optional<Verdict> parse_pairwise_verdict(std::string_view reply);

// Whether a pairwise label counts as correct (tie = correct).
bool pairwise_correct(std::string_view label);

}  // namespace ipw::judge
