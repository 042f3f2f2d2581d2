#include "ipw/scoring/answer_cues.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "ipw/scoring/text_cleanup.h"

namespace ipw::scoring {
namespace {

// Words that may sit between the head and the answer without changing its meaning.
constexpr std::string_view kFillers[] = {"is",   "be",      "was",      "are",        "would",     "should",   "will",
                                         "must", "could",   "might",    "seems",      "seem",      "appears",  "appear",
                                         "to",   "likely",  "probably", "therefore",  "thus",      "clearly",  "most",
                                         "then", "hence",   "so",       "indeed",     "actually",  "simply",   "just",
                                         "here", "finally", "now",      "definitely", "certainly", "obviously"};
constexpr std::string_view kCopulas[] = {"is", "be", "was", "are"};
constexpr std::string_view kNegations[] = {"not", "never", "neither", "isn't", "isnt"};

template <std::size_t N>
bool in(const std::string_view (&set)[N], std::string_view w) {
  return std::find(std::begin(set), std::end(set), w) != std::end(set);
}

bool is_word_char(char c) { return is_ascii_alpha(c) || c == '\''; }

bool whole_word_at(std::string_view text, std::size_t pos, std::size_t len) {
  const bool left = pos == 0 || !is_ascii_alpha(text[pos - 1]);
  const bool right = pos + len >= text.size() || !is_ascii_alpha(text[pos + len]);
  return left && right;
}

std::size_t skip_spaces(std::string_view t, std::size_t p) {
  while (p < t.size() && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r' || t[p] == '*' || t[p] == '_'))
    ++p;
  return p;
}

}  // namespace

std::vector<Cue> find_answer_cues(std::string_view t, std::initializer_list<std::string_view> heads) {
  std::vector<Cue> cues;
  for (std::string_view head : heads) {
    for (std::size_t at = t.find(head); at != std::string_view::npos; at = t.find(head, at + 1)) {
      if (!whole_word_at(t, at, head.size())) continue;
      std::size_t p = at + head.size();
      std::size_t end = p;
      bool copula = false;
      for (int tokens = 0; tokens < 6; ++tokens) {
        const std::size_t q = skip_spaces(t, p);
        if (q >= t.size()) break;
        if (t[q] == ':' || t[q] == '=') {
          copula = true;
          p = end = q + 1;
          continue;
        }
        if (t[q] == ',') {  // "the answer is, therefore, C"
          p = q + 1;
          continue;
        }
        if (t[q] == '-' && q + 1 < t.size() && t[q + 1] == ' ') {
          copula = true;
          p = end = q + 1;
          continue;
        }
        std::size_t w = q;
        while (w < t.size() && is_word_char(t[w])) ++w;
        const std::string_view word = t.substr(q, w - q);
        if (word.empty() || !in(kFillers, word)) break;
        if (in(kCopulas, word)) copula = true;
        p = end = w;
      }
      if (!copula) continue;
      // "the answer is not A" states what the answer is not.
      std::size_t q = skip_spaces(t, end);
      std::size_t w = q;
      while (w < t.size() && is_word_char(t[w])) ++w;
      if (in(kNegations, t.substr(q, w - q))) continue;
      cues.push_back({at, end});
    }
  }
  std::sort(cues.begin(), cues.end(), [](const Cue& a, const Cue& b) { return a.begin < b.begin; });
  return cues;
}

std::vector<Cue> find_phrases(std::string_view t, std::initializer_list<std::string_view> phrases) {
  std::vector<Cue> cues;
  for (std::string_view phrase : phrases) {
    for (std::size_t at = t.find(phrase); at != std::string_view::npos; at = t.find(phrase, at + 1)) {
      if (whole_word_at(t, at, phrase.size())) cues.push_back({at, at + phrase.size()});
    }
  }
  std::sort(cues.begin(), cues.end(), [](const Cue& a, const Cue& b) { return a.begin < b.begin; });
  return cues;
}

std::size_t skip_markup(std::string_view t, std::size_t p) {
  while (p < t.size()) {
    const char c = t[p];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '*' || c == '_' || c == '(' || c == '[' || c == '{' ||
        c == '$' || c == '"' || c == '\'' || c == '`') {
      ++p;
    } else if (c == '\\' && p + 1 < t.size() &&
               (t[p + 1] == ',' || t[p + 1] == ' ' || t[p + 1] == '(' || t[p + 1] == '[')) {
      p += 2;  // LaTeX thin space, \( … \) and \[ … \] math delimiters
    } else {
      break;
    }
  }
  return p;
}

}  // namespace ipw::scoring
