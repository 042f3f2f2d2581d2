#include "ipw/inference/token_recorder.h"

#include <algorithm>

namespace ipw::inference {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool all_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
}

// Length of the longest suffix of s that is a proper prefix of a tag (kept for the
// next delta: servers may split a tag across two).
std::size_t partial_tag_suffix(std::string_view s) {
  for (std::size_t n = std::min(s.size(), kClose.size() - 1); n > 0; --n) {
    const std::string_view tail = s.substr(s.size() - n);
    if (kOpen.starts_with(tail) || kClose.starts_with(tail)) return n;
  }
  return 0;
}

}  // namespace

void TokenRecorder::route(std::string_view text, bool& answer_text, bool& answer_nonspace) {
  if (text.empty()) return;
  if (in_think_) {
    response_.reasoning.append(text);
    return;
  }
  response_.text.append(text);
  answer_text = true;
  answer_nonspace = answer_nonspace || !all_space(text);
}

void TokenRecorder::content(std::string_view text, std::int64_t t_ns) {
  if (text.empty()) return;  // role-only / empty deltas are not tokens
  std::string buf = std::exchange(carry_, {});
  buf.append(text);
  std::string_view rest = buf;
  const std::size_t reasoning_before = response_.reasoning.size();
  bool answer_text = false, answer_nonspace = false;
  while (true) {
    const std::size_t open = in_think_ ? std::string_view::npos : rest.find(kOpen);
    const std::size_t close = rest.find(kClose);
    const std::size_t at = std::min(open, close);
    if (at == std::string_view::npos) break;
    route(rest.substr(0, at), answer_text, answer_nonspace);
    if (at == close && !in_think_) {
      // A closing tag with no opening one: the template opened it in the prompt, so
      // all the content so far was thinking.
      response_.reasoning.insert(0, std::exchange(response_.text, {}));
      response_.reasoning_pieces += std::exchange(response_.answer_pieces, 0);
      response_.t_first_answer_ns = 0;
      answer_text = answer_nonspace = false;
    }
    in_think_ = at == open;
    if (in_think_ && all_space(response_.text)) {
      // Thinking opens the reply (after whitespace, or a tag split across deltas):
      // nothing before it was the answer.
      response_.reasoning_pieces += std::exchange(response_.answer_pieces, 0);
      response_.t_first_answer_ns = 0;
    }
    rest.remove_prefix(at + (at == open ? kOpen.size() : kClose.size()));
  }
  const std::size_t keep = partial_tag_suffix(rest);
  carry_.assign(rest.substr(rest.size() - keep));
  route(rest.substr(0, rest.size() - keep), answer_text, answer_nonspace);
  // One piece per delta: an answer piece when it carried answer text that is not just
  // the whitespace after a closing tag (that ends the thinking), or — holding no text
  // yet (a tag's first characters) — when the answer is what is being streamed.
  const bool reasoned = response_.reasoning.size() > reasoning_before;
  const bool answering = !in_think_ && (response_.reasoning.empty() || response_.t_first_answer_ns != 0);
  if (answer_nonspace || ((answer_text || !reasoned) && answering)) {
    ++response_.answer_pieces;
    if (response_.t_first_answer_ns == 0) response_.t_first_answer_ns = t_ns;
  } else {
    ++response_.reasoning_pieces;
  }
  stamp(text, t_ns);
}

void TokenRecorder::reasoning(std::string_view text, std::int64_t t_ns) {
  if (text.empty()) return;
  response_.reasoning.append(text);
  ++response_.reasoning_pieces;
  stamp(text, t_ns);
}

void TokenRecorder::finish() {
  if (carry_.empty()) return;
  bool answer_text = false, answer_nonspace = false;
  route(std::exchange(carry_, {}), answer_text, answer_nonspace);
}

void TokenRecorder::stamp(std::string_view text, std::int64_t t_ns) {
  if (response_.t_first_token_ns == 0) response_.t_first_token_ns = t_ns;
  response_.token_times_ns.push_back(t_ns);
  if (on_token_) on_token_(text, t_ns);
}

}  // namespace ipw::inference
