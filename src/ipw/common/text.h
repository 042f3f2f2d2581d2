#pragma once
// Small ASCII text helpers used across the layers (flags, specs, sysfs files, CSV
// cells, answers). Locale-independent on purpose: a spec or a sysfs value must not
// read differently under another locale.
#include <string>
#include <string_view>

namespace ipw {

// Without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r). A copy,
// so a temporary's trimmed text never dangles.
std::string trim(std::string_view s);

// A-Z lowered; every other byte (UTF-8 included) as it is.
std::string ascii_lower(std::string_view s);

}  // namespace ipw
