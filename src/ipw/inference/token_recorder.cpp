#include "ipw/inference/token_recorder.h"

namespace ipw::inference {

void TokenRecorder::content(std::string_view text, std::int64_t t_ns) {
  if (text.empty()) return;  // role-only / empty deltas are not tokens
  response_.text.append(text);
  stamp(text, t_ns);
}

void TokenRecorder::reasoning(std::string_view text, std::int64_t t_ns) {
  if (text.empty()) return;
  response_.reasoning.append(text);
  stamp(text, t_ns);
}

void TokenRecorder::stamp(std::string_view text, std::int64_t t_ns) {
  if (response_.t_first_token_ns == 0) response_.t_first_token_ns = t_ns;
  response_.token_times_ns.push_back(t_ns);
  if (on_token_) on_token_(text, t_ns);
}

}  // namespace ipw::inference
