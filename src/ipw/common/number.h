#pragma once
// Strict number parsing for flag and file values: the whole text must be one
// finite number, so "4x", "", "nan" and "1e999" are refused rather than half-read.
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace ipw {

inline std::optional<double> parse_finite(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace ipw
