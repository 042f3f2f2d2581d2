#pragma once
#include <optional>
#include <string>

namespace ipw::scoring {

// Case-insensitive regular-expression search (RE2 syntax: Perl-like, without
// backreferences or lookaround). RE2 runs in time linear in the text and without
// recursion: a dataset's pattern cannot hang or overflow the stack on a long reply,
// as std::regex did (found by fuzzing, docs/reliability.md). The matched text, ""
// when the pattern does not match; nullopt when the pattern is invalid.
std::optional<std::string> regex_search_icase(const std::string& pattern, const std::string& text,
                                              bool* matched);

}  // namespace ipw::scoring
