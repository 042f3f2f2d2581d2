#pragma once
// Cells of the terminal tables (analyze, compare, route, trend): one definition of how
// a figure and a label are printed, so every table reads the same.
#include <optional>
#include <string>

#include <fmt/format.h>

namespace ipw::report {

// A figure, or "n/a" when unknown (never 0).
inline std::string num(const std::optional<double>& v, const char* spec = "{:.4g}") {
  return v ? fmt::format(fmt::runtime(spec), *v) : std::string("n/a");
}

// A label cut to `width` characters, its last one "~" when cut. Out of line: inlined
// into a table printer, g++ 12 warns of a false -Warray-bounds in the string's move (a
// unity batch of the ASan build, where warnings are errors, hit it).
std::string cut(const std::string& s, std::size_t width);

}  // namespace ipw::report
