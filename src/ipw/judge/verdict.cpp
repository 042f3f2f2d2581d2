#include "ipw/judge/verdict.h"

#include <cctype>
#include <set>
#include <vector>

#include "ipw/common/text.h"
#include "ipw/scoring/text_cleanup.h"

namespace ipw::judge {
namespace {

using scoring::is_ascii_alnum;

// Markdown, brackets and quotes become spaces so "**True**", "[[False]]" and
// "'true'" read as bare words.
std::string words_only(std::string_view text) {
  std::string out = ascii_lower(text);
  for (char& c : out) {
    if (c == '*' || c == '_' || c == '`' || c == '#' || c == '[' || c == ']' || c == '"' || c == '\'' ||
        c == '(' || c == ')' || c == '{' || c == '}' || c == '\\') {
      c = ' ';
    }
  }
  return out;
}

// The word starting at or after `i` (letters only), and where it ends.
std::string next_word(const std::string& s, std::size_t& i) {
  while (i < s.size() && !is_ascii_alnum(s[i])) ++i;
  const std::size_t start = i;
  while (i < s.size() && is_ascii_alnum(s[i])) ++i;
  return s.substr(start, i - start);
}

std::optional<bool> truth_word(const std::string& w) {
  if (w == "true" || w == "correct" || w == "yes") return true;
  if (w == "false" || w == "incorrect" || w == "wrong" || w == "no") return false;
  return std::nullopt;
}

bool standalone(const std::string& s, std::size_t pos, std::size_t len) {
  return (pos == 0 || !is_ascii_alnum(s[pos - 1])) &&
         (pos + len >= s.size() || !is_ascii_alnum(s[pos + len]));
}

// Positions of `word` as a whole word.
std::vector<std::size_t> find_words(const std::string& s, std::string_view word) {
  std::vector<std::size_t> out;
  for (std::size_t p = s.find(word); p != std::string::npos; p = s.find(word, p + 1)) {
    if (standalone(s, p, word.size())) out.push_back(p);
  }
  return out;
}

// The verdict word after the last "verdict" label: "verdict: true", "verdict is
// not true", "final verdict - incorrect".
// Whether the word at `pos` follows "not", "never" or a contraction ending in "n't"/"nt".
bool negated(const std::string& s, std::size_t pos) {
  std::size_t end = pos;
  while (end > 0 && !is_ascii_alnum(s[end - 1])) --end;
  std::size_t start = end;
  while (start > 0 && (is_ascii_alnum(s[start - 1]) || s[start - 1] == '\'')) --start;
  const std::string prev = s.substr(start, end - start);
  return prev == "not" || prev == "never" || prev == "t" || (prev.size() > 2 && prev.substr(prev.size() - 2) == "nt");
}

std::optional<bool> labelled_truth(const std::string& s) {
  const auto labels = find_words(s, "verdict");
  if (labels.empty()) return std::nullopt;
  std::size_t i = labels.back() + 7;
  std::string w = next_word(s, i);
  if (w == "is") w = next_word(s, i);
  bool negated = false;
  if (w == "not") {
    negated = true;
    w = next_word(s, i);
  }
  const auto t = truth_word(w);
  if (!t) return std::nullopt;
  return negated ? !*t : *t;
}

std::string trimmed(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (std::isspace(static_cast<unsigned char>(s[a])) || s[a] == '.' || s[a] == ':')) ++a;
  while (b > a && (std::isspace(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '.' || s[b - 1] == '!')) --b;
  return std::string(s.substr(a, b - a));
}

std::string last_line(const std::string& s) {
  std::size_t end = s.size();
  while (end > 0) {
    const std::size_t nl = s.rfind('\n', end - 1);
    const std::size_t start = nl == std::string::npos ? 0 : nl + 1;
    std::string line = trimmed(std::string_view(s).substr(start, end - start));
    if (!line.empty()) return line;
    if (nl == std::string::npos) break;
    end = nl;
  }
  return {};
}

Verdict truth_verdict(bool v) { return {v, v ? "true" : "false"}; }

// --- pairwise -----------------------------------------------------------------

struct Candidate {
  std::size_t pos = 0;
  std::string label;
  bool bracketed = false;
};

// "A", op, "B" (or B…A) with the letters standing alone; the label in canonical form.
std::optional<std::string> verdict_at(const std::string& s, std::size_t i, bool allow_lower, std::size_t& end) {
  auto letter = [&](char c) -> char {
    if (c == 'A' || c == 'B') return c;
    if (allow_lower && (c == 'a' || c == 'b')) return static_cast<char>(c - 'a' + 'A');
    return 0;
  };
  const char left = letter(s[i]);
  if (!left || (i > 0 && is_ascii_alnum(s[i - 1]))) return std::nullopt;
  std::size_t j = i + 1;
  while (j < s.size() && s[j] == ' ') ++j;
  std::size_t k = j;
  while (k < s.size() && (s[k] == '>' || s[k] == '<' || s[k] == '=')) ++k;
  const std::string op = s.substr(j, k - j);
  while (k < s.size() && s[k] == ' ') ++k;
  if (k >= s.size()) return std::nullopt;
  const char right = letter(s[k]);
  if (!right || right == left || (k + 1 < s.size() && is_ascii_alnum(s[k + 1]))) return std::nullopt;
  // Strength and direction relative to the left letter: +2 much better … -2 much worse.
  int strength = 0;
  if (op == ">>") strength = 2;
  else if (op == ">") strength = 1;
  else if (op == "=" || op == "==") strength = 0;
  else if (op == "<") strength = -1;
  else if (op == "<<") strength = -2;
  else return std::nullopt;
  if (left == 'B') strength = -strength;  // now relative to A
  end = k + 1;
  switch (strength) {
    case 2: return "A>>B";
    case 1: return "A>B";
    case 0: return "A=B";
    case -1: return "B>A";
    default: return "B>>A";
  }
}

std::vector<Candidate> pairwise_candidates(const std::string& s) {
  std::vector<Candidate> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Brackets (any markdown between them) mark an intended verdict, and inside
    // them lower-case letters are accepted too.
    std::size_t back = i;
    while (back > 0 && (s[back - 1] == ' ' || s[back - 1] == '*')) --back;
    const bool bracketed = back > 0 && s[back - 1] == '[';
    std::size_t end = 0;
    if (auto label = verdict_at(s, i, bracketed, end)) {
      out.push_back({i, *label, bracketed});
      i = end - 1;
    }
  }
  return out;
}

}  // namespace

bool pairwise_correct(std::string_view label) { return label == "A>>B" || label == "A>B" || label == "A=B"; }

std::optional<Verdict> parse_reference_verdict(std::string_view reply) {
  const std::string text = words_only(scoring::strip_reasoning(reply));
  if (auto t = labelled_truth(text)) return truth_verdict(*t);
  // The whole reply, or its last line, is the verdict word ("True", "**false**.").
  for (const std::string& piece : {trimmed(text), last_line(text)}) {
    std::size_t i = 0;
    const std::string w = next_word(piece, i);
    std::size_t rest = i;
    if (next_word(piece, rest).empty() && (w == "true" || w == "false")) return truth_verdict(w == "true");
  }
  // Otherwise one of the two words must appear alone, on the last line or in the whole reply,
  // and never negated ("this is not true" is no verdict to guess from).
  for (const std::string& piece : {last_line(text), text}) {
    const auto t = find_words(piece, "true");
    const auto f = find_words(piece, "false");
    if (t.empty() == f.empty()) continue;
    for (std::size_t pos : t.empty() ? f : t) {
      if (negated(piece, pos)) return std::nullopt;
    }
    return truth_verdict(!t.empty());
  }
  return std::nullopt;
}

std::optional<Verdict> parse_pairwise_verdict(std::string_view reply) {
  const std::string text = scoring::strip_reasoning(reply);
  const std::vector<Candidate> all = pairwise_candidates(text);
  std::set<std::string> bracketed_labels;
  const Candidate* last_bracketed = nullptr;
  for (const auto& c : all) {
    if (!c.bracketed) continue;
    bracketed_labels.insert(c.label);
    last_bracketed = &c;
  }
  // After the last "verdict" label, the first candidate (or "tie") is the answer.
  const std::string lower = ascii_lower(text);
  const auto labels = find_words(lower, "verdict");
  if (!labels.empty()) {
    const std::size_t from = labels.back();
    for (const auto& c : all) {
      if (c.pos > from) return Verdict{pairwise_correct(c.label), c.label};
    }
    const std::string words = words_only(lower);
    std::size_t i = from + 7;
    std::string w = next_word(words, i);
    if (w == "is") w = next_word(words, i);
    if (w == "tie") return Verdict{true, "A=B"};
  }
  if (bracketed_labels.size() >= 3) return std::nullopt;  // the instructions echoed back
  if (last_bracketed) return Verdict{pairwise_correct(last_bracketed->label), last_bracketed->label};
  if (!all.empty()) return Verdict{pairwise_correct(all.back().label), all.back().label};
  return std::nullopt;
}

}  // namespace ipw::judge
