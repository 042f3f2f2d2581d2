#pragma once
#include <optional>
#include <string>

namespace ipw::scoring {

// Case-insensitive ECMAScript regex search. The matched text, "" when the pattern
// does not match; nullopt when the pattern is invalid (or too complex to run).
std::optional<std::string> regex_search_icase(const std::string& pattern, const std::string& text,
                                              bool* matched);

}  // namespace ipw::scoring
