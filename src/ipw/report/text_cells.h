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

// A label cut to `width` characters, its last one "~" when cut.
inline std::string cut(const std::string& s, std::size_t width) {
  if (s.size() <= width) return s;
  std::string out(s, 0, width - 1);
  out.push_back('~');
  return out;
}

}  // namespace ipw::report
