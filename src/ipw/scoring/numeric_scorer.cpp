#include "ipw/scoring/numeric_scorer.h"

#include <cmath>

#include "ipw/common/text.h"
#include "ipw/scoring/answer_cues.h"
#include "ipw/scoring/text_cleanup.h"

namespace ipw::scoring {
namespace {

// End of the answer statement's reach: its own line, or the next non-empty line
// when the statement ends its line ("Answer:\n42").
std::size_t statement_reach(std::string_view t, std::size_t from) {
  std::size_t eol = t.find('\n', from);
  if (eol == std::string_view::npos) return t.size();
  if (normalise_answer(t.substr(from, eol - from)).empty()) {
    std::size_t next = eol + 1;
    while (next < t.size()) {
      std::size_t e = t.find('\n', next);
      if (e == std::string_view::npos) e = t.size();
      if (!normalise_answer(t.substr(next, e - next)).empty()) return e;
      next = e + 1;
    }
  }
  return eol;
}

}  // namespace

std::optional<NumberMatch> extract_final_number(std::string_view response, std::string* extracted) {
  const std::string text = strip_reasoning(response);
  auto found = [&](std::string_view in, const NumberMatch& m) {
    if (extracted) *extracted = std::string(in.substr(m.begin, m.end - m.begin));
    return std::optional<NumberMatch>(m);
  };
  const std::vector<Boxed> boxes = boxed_contents(text);
  for (auto b = boxes.rbegin(); b != boxes.rend(); ++b) {
    const std::string inner = blank_latex_wrappers(b->content);
    const std::vector<NumberMatch> nums = find_numbers(inner);
    if (!nums.empty()) return found(b->content, nums.back());
  }
  const std::string t = blank_latex_wrappers(text);
  const std::vector<NumberMatch> nums = find_numbers(t);
  if (nums.empty()) return std::nullopt;
  const std::vector<Cue> cues = find_answer_cues(ascii_lower(t), {"answer"});
  for (auto c = cues.rbegin(); c != cues.rend(); ++c) {
    const std::size_t reach = statement_reach(t, c->end);
    for (const NumberMatch& m : nums) {
      if (m.begin >= c->end && m.begin < reach) return found(t, m);
    }
  }
  return found(t, nums.back());
}

bool numbers_match(const NumberMatch& got, const NumberMatch& want, NumericTolerance tol) {
  // A relative tolerance would let 1,234,568 pass for 1,234,567: integers written
  // as integers on both sides must be equal.
  if (got.integer && want.integer) return got.value == want.value;
  for (double g : got.readings()) {
    for (double w : want.readings()) {
      if (std::fabs(g - w) <= tol.absolute + tol.relative * std::fabs(w)) return true;
    }
  }
  return false;
}

Score NumericScorer::score(const workload::Item& item, const std::string& response) const {
  Score s;
  s.method = name();
  const std::optional<NumberMatch> want = parse_reference_number(item.answer);
  const std::optional<NumberMatch> got = extract_final_number(response, &s.extracted);
  if (want) s.correct = got && numbers_match(*got, *want, tol_);
  return s;
}

}  // namespace ipw::scoring
