#include "ipw/scoring/regex_search.h"

#include <re2/re2.h>

namespace ipw::scoring {

std::optional<std::string> regex_search_icase(const std::string& pattern, const std::string& text, bool* matched) {
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);  // an invalid pattern is reported to the caller, not logged
  const RE2 re(pattern, options);
  if (!re.ok()) {
    *matched = false;
    return std::nullopt;
  }
  re2::StringPiece whole;
  *matched = re.Match(text, 0, text.size(), RE2::UNANCHORED, &whole, 1);
  return *matched ? std::string(whole.data(), whole.size()) : std::string();
}

}  // namespace ipw::scoring
