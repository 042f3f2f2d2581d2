#pragma once
// Finding where a response states its answer: "The answer is", "Answer:",
// "the best option would be", "Final answer =" … Pure functions over lower-cased text.
#include <initializer_list>
#include <string_view>
#include <vector>

namespace ipw::scoring {

struct Cue {
  std::size_t begin = 0;  // start of the head word
  std::size_t end = 0;    // just after the separator; the answer follows (after markup)
};

// A head word (whole word, e.g. "answer") followed by filler words and a
// separator that makes it a statement: "is"/"be" or ':'/'='/" - ". "Answer A is
// wrong" (no separator) and "the answer is not A" (negated) are not cues.
std::vector<Cue> find_answer_cues(std::string_view lower_text, std::initializer_list<std::string_view> heads);

// Whole-word occurrences of any phrase (e.g. "choose", "go with"); end is after the phrase.
std::vector<Cue> find_phrases(std::string_view lower_text, std::initializer_list<std::string_view> phrases);

// Skips whitespace and markup that may sit between a cue and its answer:
// * _ ( [ { $ " ' ` and LaTeX spacing.
std::size_t skip_markup(std::string_view text, std::size_t pos);

}  // namespace ipw::scoring
