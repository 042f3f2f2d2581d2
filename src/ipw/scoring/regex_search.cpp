// std::regex lives in its own file because GCC 12 reports a false
// -Wmaybe-uninitialized inside libstdc++'s <regex> when built with
// -fsanitize=address,undefined; the warning is silenced for this file only,
// before any header, since it fires at instantiation points in system headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "ipw/scoring/regex_search.h"

#include <regex>

namespace ipw::scoring {

std::optional<std::string> regex_search_icase(const std::string& pattern, const std::string& text, bool* matched) {
  try {
    const std::regex re(pattern, std::regex::ECMAScript | std::regex::icase);
    std::smatch m;
    *matched = std::regex_search(text, m, re);
    return *matched ? m.str(0) : std::string();
  } catch (const std::regex_error&) {
    *matched = false;
    return std::nullopt;
  }
}

}  // namespace ipw::scoring
