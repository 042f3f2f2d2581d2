#include "ipw/scoring/text_cleanup.h"

#include <array>
#include <vector>

namespace ipw::scoring {
namespace {

struct Block {
  std::string_view open;
  std::string_view close;
};
constexpr std::array<Block, 10> kReasoningBlocks = {{
    {"<think>", "</think>"},
    {"<thinking>", "</thinking>"},
    {"<reasoning>", "</reasoning>"},
    {"<reflection>", "</reflection>"},
    {"<scratchpad>", "</scratchpad>"},
    {"<thought>", "</thought>"},
    {"<|begin_of_thought|>", "<|end_of_thought|>"},
    {"[THINK]", "[/THINK]"},
    {"\xE2\x97\x81think\xE2\x96\xB7", "\xE2\x97\x81/think\xE2\x96\xB7"},  // ◁think▷ … ◁/think▷
    {"<seed:think>", "</seed:think>"},
}};

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t find_ci(std::string_view hay, std::string_view needle, std::size_t from = 0) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower_char(hay[i + k]) == lower_char(needle[k])) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

std::size_t rfind_ci(std::string_view hay, std::string_view needle) {
  std::size_t found = std::string_view::npos;
  for (std::size_t at = find_ci(hay, needle); at != std::string_view::npos; at = find_ci(hay, needle, at + 1))
    found = at;
  return found;
}

void strip_block(std::string& text, const Block& b) {
  // Complete blocks first, left to right.
  std::size_t open;
  while ((open = find_ci(text, b.open)) != std::string::npos) {
    const std::size_t close = find_ci(text, b.close, open + b.open.size());
    if (close == std::string::npos) {
      text.erase(open);  // never closed: the rest is unfinished thinking
      break;
    }
    text.erase(open, close + b.close.size() - open);
  }
  // A stray closing tag: the template opened the block before the response began.
  const std::size_t stray = rfind_ci(text, b.close);
  if (stray != std::string::npos) text.erase(0, stray + b.close.size());
}

constexpr std::string_view kHarmonyFinal = "<|channel|>final<|message|>";

}  // namespace

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || is_ascii_digit(c); }

std::string strip_reasoning(std::string_view response) {
  std::string text(response);
  if (const std::size_t final_at = rfind_ci(text, kHarmonyFinal); final_at != std::string::npos) {
    text.erase(0, final_at + kHarmonyFinal.size());
    for (std::string_view end : {"<|return|>", "<|end|>"}) {
      if (const std::size_t e = find_ci(text, end); e != std::string::npos) text.erase(e);
    }
  }
  for (const Block& b : kReasoningBlocks) strip_block(text, b);
  return text;
}

std::string blank_latex_wrappers(std::string_view text) {
  static constexpr std::array<std::string_view, 8> kWrappers = {"\\boxed", "\\fbox",   "\\textbf", "\\textrm",
                                                                "\\text",  "\\mathrm", "\\mathbf", "\\mbox"};
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\\') continue;
    for (std::string_view w : kWrappers) {
      if (out.compare(i, w.size(), w) == 0 && i + w.size() < out.size() && out[i + w.size()] == '{') {
        out.replace(i, w.size(), std::string(w.size(), ' '));
        break;
      }
    }
  }
  return out;
}

std::vector<Boxed> boxed_contents(std::string_view text) {
  std::vector<Boxed> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t at = text.find('\\', i);
    if (at == std::string_view::npos) break;
    std::size_t open = std::string_view::npos;
    if (text.compare(at, 7, "\\boxed{") == 0) open = at + 7;
    if (text.compare(at, 6, "\\fbox{") == 0) open = at + 6;
    if (open == std::string_view::npos) {
      i = at + 1;
      continue;
    }
    int depth = 1;
    std::size_t j = open;
    while (j < text.size() && depth > 0) {
      if (text[j] == '{') ++depth;
      if (text[j] == '}') --depth;
      ++j;
    }
    if (depth != 0) break;  // unbalanced: the model was cut off inside the box
    out.push_back({std::string(text.substr(open, j - 1 - open)), at});
    i = j;
  }
  return out;
}

std::string normalise_answer(std::string_view raw) {
  std::string text = blank_latex_wrappers(raw);
  std::string spaced;
  spaced.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    // UTF-8 punctuation that models and datasets use interchangeably with ASCII.
    if (u == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80) {
      const auto third = static_cast<unsigned char>(text[i + 2]);
      if (third >= 0x98 && third <= 0x9F) {  // ‘ ’ ‚ ‛ “ ” „ ‟
        i += 2;
        continue;
      }
      if (third >= 0x90 && third <= 0x95) {  // hyphens and dashes
        spaced.push_back(' ');
        i += 2;
        continue;
      }
    }
    if (u == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) {  // nbsp
      spaced.push_back(' ');
      ++i;
      continue;
    }
    if (c == '-' || c == '/' || c == '_' || c == '\n' || c == '\t' || c == '\r') {
      spaced.push_back(' ');
    } else if ((c == '.' || c == ',') && i > 0 && i + 1 < text.size() && is_ascii_digit(text[i - 1]) &&
               is_ascii_digit(text[i + 1])) {
      spaced.push_back(c);
    } else if (u < 0x80 && !is_ascii_alnum(c) && c != ' ') {
      // other ASCII punctuation, markdown and LaTeX braces vanish
    } else {
      spaced.push_back(lower_char(c));
    }
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < spaced.size()) {
    const std::size_t start = spaced.find_first_not_of(' ', pos);
    if (start == std::string::npos) break;
    std::size_t end = spaced.find(' ', start);
    if (end == std::string::npos) end = spaced.size();
    const std::string_view word(spaced.data() + start, end - start);
    if (word != "a" && word != "an" && word != "the") {
      if (!out.empty()) out.push_back(' ');
      out.append(word);
    }
    pos = end;
  }
  return out;
}

}  // namespace ipw::scoring
