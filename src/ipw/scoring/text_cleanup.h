#pragma once
// Text clean-up shared by the scorers. Pure functions.
#include <string>
#include <string_view>
#include <vector>

namespace ipw::scoring {

// Removes reasoning the model did before answering: <think>…</think> and its
// cousins (<thinking>, <reasoning>, <reflection>, <scratchpad>, <thought>,
// <|begin_of_thought|>…<|end_of_thought|>, [THINK]…[/THINK], ◁think▷…◁/think▷,
// <seed:think>…</seed:think>), and for gpt-oss (harmony) keeps only the final
// channel. A closing tag with no opening tag (the chat template opened the block)
// drops everything before it; an opening tag never closed (the model ran out of
// tokens while thinking) drops everything after it.
std::string strip_reasoning(std::string_view response);

// Replaces LaTeX wrappers whose argument is the answer (\boxed, \fbox, \text,
// \textbf, \textrm, \mathrm, \mathbf) by spaces of the same length, keeping the
// braces, so positions in the text stay comparable with the original.
std::string blank_latex_wrappers(std::string_view text);

// Normalised form for exact matching: lower case, LaTeX wrappers and markdown
// removed, punctuation dropped (hyphens, slashes and dashes become spaces; a
// '.' or ',' between digits is kept), articles a/an/the removed, whitespace collapsed.
std::string normalise_answer(std::string_view text);

// Every \boxed{…} / \fbox{…} (braces matched), in order: its content and where
// the command starts.
struct Boxed {
  std::string content;
  std::size_t pos = 0;
};
std::vector<Boxed> boxed_contents(std::string_view text);

bool is_ascii_alpha(char c);
bool is_ascii_digit(char c);
bool is_ascii_alnum(char c);

}  // namespace ipw::scoring
