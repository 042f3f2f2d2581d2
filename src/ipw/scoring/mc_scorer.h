#pragma once
// Multiple choice: finds the letter (A–J) the response chose and compares it with
// the item's answer letter.
#include <optional>
#include <string_view>
#include <vector>

#include "ipw/scoring/scorer.h"

namespace ipw::scoring {

// The letter the response states as its answer, upper case, or nullopt when it
// states none. `options` (may be empty: then A–J are all valid) lets an answer
// given as option text count, and keeps weak evidence within range.
//
// Evidence is ranked; the strongest kind present decides, and among equals the
// last one stated wins ("…the answer is B. Wait, no: the answer is C" -> C):
//   4  the whole response is the letter ("C", "(c)", "**C.**")
//   3  an explicit statement: "The answer is (C)", "Answer: c", \boxed{C},
//      "I choose C", "C is correct", or option text after such a cue
//   2  a letter marked on its own: "**C**", a line that is only "C)", or a
//      single "C) Paris" line (several such lines are a restated option list)
//   1  "(C)" in passing; "so C." / "therefore C"
//   0  the last line, or the whole response, is exactly one option's text
// Reasoning blocks (<think>…</think> etc.) are ignored. A lone lower-case "a" or
// an upper-case "I" followed by a word is read as English, not as a letter.
std::optional<char> extract_choice(std::string_view response, const std::vector<std::string>& options);

// The item's answer as a letter: "C", "c", "(C)", "C." or the text of an option.
std::optional<char> answer_letter(const std::string& answer, const std::vector<std::string>& options);

class McScorer final : public Scorer {
 public:
  std::string name() const override { return "mc"; }
  Score score(const workload::Item& item, const std::string& response) const override;
};

}  // namespace ipw::scoring
