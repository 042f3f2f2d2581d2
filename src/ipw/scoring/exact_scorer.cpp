#include "ipw/scoring/exact_scorer.h"

#include "ipw/common/text.h"
#include "ipw/scoring/answer_cues.h"
#include "ipw/scoring/regex_search.h"
#include "ipw/scoring/text_cleanup.h"

namespace ipw::scoring {
namespace {

std::vector<std::string> alternatives(const std::string& answer) {
  std::vector<std::string> alts;
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = answer.find('|', start);
    std::string alt =
        trim(std::string_view(answer).substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (!alt.empty()) alts.push_back(std::move(alt));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return alts;
}

// The first clause: up to a sentence end or a comma/semicolon followed by a space.
std::string first_clause(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool stop = s[i] == ';' || s[i] == ',' || s[i] == '.' || s[i] == '!' || s[i] == '?' || s[i] == '(';
    if (stop && (i + 1 >= s.size() || s[i + 1] == ' ' || s[i] == '(')) return trim(s.substr(0, i));
  }
  return trim(s);
}

}  // namespace

std::vector<std::string> answer_candidates(std::string_view response) {
  const std::string text = strip_reasoning(response);
  std::vector<std::string> out;
  auto add = [&out](std::string s) {
    s = trim(s);
    if (!s.empty()) out.push_back(std::move(s));
  };
  const std::string lower = ascii_lower(text);
  const std::vector<Cue> cues = find_answer_cues(lower, {"answer"});
  if (!cues.empty()) {
    const std::size_t from = cues.back().end;
    std::size_t eol = text.find('\n', from);
    if (eol == std::string::npos) eol = text.size();
    std::string rest = trim(std::string_view(text).substr(from, eol - from));
    if (rest.empty() && eol < text.size()) {  // "Answer:\nParis"
      const std::size_t next_end = text.find('\n', eol + 1);
      rest = trim(std::string_view(text).substr(
          eol + 1, next_end == std::string::npos ? std::string::npos : next_end - eol - 1));
    }
    add(rest);
    add(first_clause(rest));
  }
  const std::vector<Boxed> boxes = boxed_contents(text);
  if (!boxes.empty()) add(boxes.back().content);
  const std::size_t bold_close = text.rfind("**");
  if (bold_close != std::string::npos && bold_close >= 2) {
    const std::size_t bold_open = text.rfind("**", bold_close - 2);
    if (bold_open != std::string::npos) add(text.substr(bold_open + 2, bold_close - bold_open - 2));
  }
  std::vector<std::string> lines;
  std::size_t b = 0;
  while (b <= text.size()) {
    std::size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string line = trim(std::string_view(text).substr(b, e - b));
    if (!normalise_answer(line).empty()) lines.push_back(std::move(line));
    b = e + 1;
  }
  if (!lines.empty()) {
    add(lines.back());
    add(lines.front());
    add(first_clause(lines.front()));  // "Canberra, Australia" / "Paris (the capital)"
  }
  add(text);
  return out;
}

Score ExactScorer::score(const workload::Item& item, const std::string& response) const {
  Score s;
  s.method = name();
  if (item.answer.rfind("re:", 0) == 0) {
    bool matched = false;
    const auto found = regex_search_icase(item.answer.substr(3), strip_reasoning(response), &matched);
    // An invalid pattern is the dataset's fault, not the model's: leave it unscored.
    if (!found) return s;
    s.correct = matched;
    s.extracted = *found;
    return s;
  }
  const std::vector<std::string> alts = alternatives(item.answer);
  if (alts.empty()) return s;
  std::vector<std::string> wanted;
  for (const auto& a : alts) wanted.push_back(normalise_answer(a));
  const std::vector<std::string> candidates = answer_candidates(response);
  s.correct = false;
  for (const std::string& c : candidates) {
    const std::string got = normalise_answer(c);
    for (const std::string& w : wanted) {
      if (!w.empty() && got == w) {
        s.correct = true;
        s.extracted = c;
        return s;
      }
    }
  }
  if (!candidates.empty()) s.extracted = candidates.front();
  return s;
}

}  // namespace ipw::scoring
