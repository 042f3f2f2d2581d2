#pragma once
// CSV helpers shared by the report's exports (RFC 4180 quoting; empty = null).
#include <optional>
#include <string>

#include <fmt/format.h>

namespace ipw::report {

inline std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

inline std::string csv_num(const std::optional<double>& v) {
  return v ? fmt::format("{:.9g}", *v) : std::string();
}

}  // namespace ipw::report
