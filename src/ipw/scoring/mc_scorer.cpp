#include "ipw/scoring/mc_scorer.h"

#include <algorithm>

#include "ipw/common/text.h"
#include "ipw/scoring/answer_cues.h"
#include "ipw/scoring/text_cleanup.h"

namespace ipw::scoring {
namespace {

constexpr char kLastLetter = 'J';

struct Best {
  int tier = -1;
  std::size_t pos = 0;
  char letter = 0;
  void offer(int t, std::size_t p, char l) {
    if (t > tier || (t == tier && p >= pos)) {
      tier = t;
      pos = p;
      letter = l;
    }
  }
};

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_hspace(char c) { return c == ' ' || c == '\t'; }

// Is t[q] a letter token that reads as an answer letter (not as a word)?
std::optional<char> letter_at(std::string_view t, std::size_t q, bool allow_lower) {
  if (q >= t.size()) return std::nullopt;
  const char c = t[q];
  const char u = upper(c);
  if (u < 'A' || u > kLastLetter || (is_lower(c) && !allow_lower)) return std::nullopt;
  if (q > 0 && is_ascii_alnum(t[q - 1])) return std::nullopt;
  if (q + 1 < t.size() && is_ascii_alnum(t[q + 1])) return std::nullopt;
  if (q + 2 < t.size() && t[q + 1] == '\'' && is_ascii_alpha(t[q + 2])) return std::nullopt;  // "I'm", "A's"
  std::size_t n = q + 1;
  while (n < t.size() && is_hspace(t[n])) ++n;
  const bool word_follows = n > q + 1 && n < t.size() && is_ascii_alpha(t[n]);
  // "the answer is a bit tricky", "the answer, I think, is": English, not letters.
  if (is_lower(c) && word_follows) return std::nullopt;
  if (c == 'I' && word_follows && is_lower(t[n])) return std::nullopt;
  return u;
}

bool in_range(char letter, std::size_t n_options) {
  return n_options == 0 || static_cast<std::size_t>(letter - 'A') < n_options;
}

// The option whose normalised text starts `rest` (longest wins), if any.
std::optional<char> option_prefix(std::string_view rest, const std::vector<std::string>& options) {
  const std::string r = normalise_answer(rest);
  std::optional<char> found;
  std::size_t found_len = 0;
  for (std::size_t i = 0; i < options.size() && i < 10; ++i) {
    const std::string o = normalise_answer(options[i]);
    if (o.empty() || o.size() <= found_len) continue;
    if (r == o || (r.size() > o.size() && r.compare(0, o.size(), o) == 0 && r[o.size()] == ' ')) {
      found = static_cast<char>('A' + i);
      found_len = o.size();
    }
  }
  return found;
}

std::optional<char> option_equal(std::string_view text, const std::vector<std::string>& options) {
  const std::string r = normalise_answer(text);
  for (std::size_t i = 0; i < options.size() && i < 10; ++i) {
    if (!r.empty() && r == normalise_answer(options[i])) return static_cast<char>('A' + i);
  }
  return std::nullopt;
}

struct Line {
  std::size_t begin;
  std::size_t end;
};

std::vector<Line> lines_of(std::string_view t) {
  std::vector<Line> lines;
  std::size_t b = 0;
  while (b <= t.size()) {
    std::size_t e = t.find('\n', b);
    if (e == std::string_view::npos) e = t.size();
    lines.push_back({b, e});
    b = e + 1;
  }
  return lines;
}

// "C", "(C)", "C.", "**C**", "[C]" — a string that is only a letter and markup.
std::optional<char> bare_letter(std::string_view s, bool allow_lower) {
  std::optional<char> letter;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_ascii_alpha(c)) {
      if (letter) return std::nullopt;
      letter = upper(c);
      if (letter < 'A' || letter > kLastLetter || (is_lower(c) && !allow_lower)) return std::nullopt;
    } else if (is_ascii_digit(c) || static_cast<unsigned char>(c) >= 0x80) {
      return std::nullopt;
    }
  }
  return letter;
}

// A line shaped like a restated option: "C) Paris", "- **B.** Rome", "(A) London".
// Returns the letter and the position of the letter.
std::optional<std::pair<char, std::size_t>> option_line(std::string_view t, const Line& l) {
  std::size_t p = l.begin;
  while (p < l.end && (is_hspace(t[p]) || t[p] == '-' || t[p] == '*' || t[p] == '+' || t[p] == '(' || t[p] == '[' ||
                       t[p] == '_' || t[p] == '#' || t[p] == '>')) {
    ++p;
  }
  if (p + 1 >= l.end || t[p] < 'A' || t[p] > kLastLetter) return std::nullopt;
  const std::size_t at = p++;
  if (t[p] != ')' && t[p] != '.' && t[p] != ':' && t[p] != ']') return std::nullopt;
  ++p;
  while (p < l.end && (t[p] == '*' || t[p] == ')' || t[p] == '_')) ++p;
  if (p >= l.end || !is_hspace(t[p])) return std::nullopt;
  while (p < l.end && is_hspace(t[p])) ++p;
  if (p >= l.end) return std::nullopt;  // nothing after the marker: an answer line, not an option
  return std::make_pair(t[at], at);
}

bool starts_with(std::string_view s, std::size_t pos, std::string_view prefix) {
  return s.size() >= pos + prefix.size() && s.compare(pos, prefix.size(), prefix) == 0;
}

}  // namespace

std::optional<char> extract_choice(std::string_view response, const std::vector<std::string>& options) {
  const std::string stripped = strip_reasoning(response);
  const std::size_t n_opts = options.size();

  if (auto whole = bare_letter(stripped, true); whole) return whole;  // tier 4

  const std::string t = blank_latex_wrappers(stripped);
  const std::string lower = ascii_lower(t);
  Best best;

  // Tier 3: explicit statements.
  for (const Boxed& b : boxed_contents(stripped)) {
    if (auto l = bare_letter(b.content, true)) {
      best.offer(3, b.pos, *l);
    } else if (auto o = option_equal(b.content, options)) {
      best.offer(3, b.pos, *o);
    }
  }
  auto after_cue = [&](std::size_t end, bool allow_option_words) {
    std::size_t q = skip_markup(t, end);
    if (allow_option_words) {
      for (std::string_view w : {"option", "choice", "letter"}) {
        if (starts_with(lower, q, w) && !(q + w.size() < t.size() && is_ascii_alpha(t[q + w.size()]))) {
          q = skip_markup(t, q + w.size());
          break;
        }
      }
    }
    if (auto l = letter_at(t, q, true)) {
      best.offer(3, q, *l);
    } else if (auto o = option_prefix(std::string_view(t).substr(q, t.find('\n', q) - q), options)) {
      best.offer(3, q, *o);
    }
  };
  for (const Cue& c : find_answer_cues(lower, {"answer", "option", "choice", "final", "solution"}))
    after_cue(c.end, true);
  for (const Cue& c : find_phrases(lower, {"choose", "pick", "select", "go with", "opt for", "i'd say", "i would say",
                                           "i'd answer", "i would answer", "i'll answer", "i will answer",
                                           "correct one is", "right one is", "correct one would be"})) {
    after_cue(c.end, true);
  }
  // "C is correct", "(c) is the right answer".
  for (std::size_t q = 0; q < t.size(); ++q) {
    const bool in_parens = q > 0 && t[q - 1] == '(';
    auto l = letter_at(t, q, in_parens);
    if (!l) continue;
    std::size_t p = q + 1;
    while (p < t.size() && (t[p] == ')' || t[p] == ']' || t[p] == '}' || t[p] == '*' || t[p] == '$')) ++p;
    for (std::string_view tail :
         {" is correct", " is the correct", " is the right", " is right", " is the answer", " is the best"}) {
      if (starts_with(lower, p, tail)) {
        best.offer(3, q, *l);
        break;
      }
    }
  }
  if (best.tier == 3) return best.letter;

  // Lines shaped like options: two or more distinct letters are a restated list.
  const std::vector<Line> lines = lines_of(t);
  std::vector<bool> listing(lines.size(), false);
  std::vector<char> shaped_letters;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (auto ol = option_line(t, lines[i])) {
      listing[i] = true;
      if (std::find(shaped_letters.begin(), shaped_letters.end(), ol->first) == shaped_letters.end()) {
        shaped_letters.push_back(ol->first);
      }
    }
  }
  const bool is_list = shaped_letters.size() >= 2;
  auto line_index = [&](std::size_t pos) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (pos >= lines[i].begin && pos <= lines[i].end) return i;
    }
    return lines.size() - 1;
  };

  // Tier 2: a letter marked on its own.
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = std::string_view(t).substr(lines[i].begin, lines[i].end - lines[i].begin);
    if (auto l = bare_letter(line, false); l && in_range(*l, n_opts)) best.offer(2, lines[i].begin, *l);
    if (listing[i] && !is_list) {
      auto ol = option_line(t, lines[i]);
      if (in_range(ol->first, n_opts)) best.offer(2, ol->second, ol->first);
    }
  }
  for (std::size_t open = t.find("**"); open != std::string::npos;) {
    const std::size_t close = t.find("**", open + 2);
    if (close == std::string::npos) break;
    const std::string_view span = std::string_view(t).substr(open + 2, close - open - 2);
    std::size_t k = 0;
    while (k < span.size() && (span[k] == '(' || is_hspace(span[k]))) ++k;
    if (auto l = letter_at(span, k, false); l && in_range(*l, n_opts) && !(is_list && listing[line_index(open)])) {
      const std::size_t after = k + 1;
      const bool letter_only = bare_letter(span, false).has_value();
      const bool marker = after < span.size() && (span[after] == ')' || span[after] == '.' || span[after] == ':');
      if (letter_only || marker) best.offer(2, open, *l);
    }
    open = t.find("**", close + 2);
  }
  if (best.tier == 2) return best.letter;

  // Tier 1: weaker hints.
  for (std::size_t q = 1; q + 1 < t.size(); ++q) {
    if (t[q - 1] != '(' || t[q + 1] != ')') continue;
    auto l = letter_at(t, q, false);
    if (l && in_range(*l, n_opts) && !(is_list && listing[line_index(q)])) best.offer(1, q, *l);
  }
  for (const Cue& c : find_phrases(lower, {"so", "therefore", "thus", "hence"})) {
    std::size_t q = c.end;
    while (q < t.size() && (t[q] == ',' || is_hspace(t[q]))) ++q;
    q = skip_markup(t, q);
    auto l = letter_at(t, q, false);
    const bool ends = q + 1 >= t.size() || t[q + 1] == '.' || t[q + 1] == '\n' || t[q + 1] == ')' || t[q + 1] == '*';
    if (l && ends && in_range(*l, n_opts)) best.offer(1, q, *l);
  }
  if (best.tier == 1) return best.letter;

  // Tier 0: the answer given as option text.
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string_view line = std::string_view(t).substr(it->begin, it->end - it->begin);
    if (normalise_answer(line).empty()) continue;
    if (auto o = option_equal(line, options)) return o;
    break;
  }
  return option_equal(t, options);
}

std::optional<char> answer_letter(const std::string& answer, const std::vector<std::string>& options) {
  if (auto l = bare_letter(answer, true); l && in_range(*l, options.size())) return l;
  return option_equal(answer, options);
}

Score McScorer::score(const workload::Item& item, const std::string& response) const {
  Score s;
  s.method = name();
  const auto expected = answer_letter(item.answer, item.options);
  const auto chosen = extract_choice(response, item.options);
  if (chosen) s.extracted = std::string(1, *chosen);
  if (expected) s.correct = chosen && *chosen == *expected;  // no expected letter: cannot be scored
  return s;
}

}  // namespace ipw::scoring
