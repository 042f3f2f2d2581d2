#pragma once
// Text from outside (a server's stream, its error pages) made valid UTF-8 where it
// enters ipw, so that everything stored can be exported as JSON and read as UTF-8
// by any tool (docs/reliability.md).
#include <string>
#include <string_view>

namespace ipw {

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with every ill-formed sequence replaced by U+FFFD, one per maximal invalid
// subpart (the Unicode standard's "substitution of maximal subparts"). Well-formed
// input comes back unchanged.
std::string valid_utf8(std::string_view s);

// In place; returns whether anything was replaced.
bool make_valid_utf8(std::string& s);

// The start of `s` for a message: at most max_bytes of it, never cutting a character,
// with "..." when cut; valid UTF-8 whatever `s` holds. The one excerpt of ipw.
std::string excerpt(std::string_view s, std::size_t max_bytes);

}  // namespace ipw
