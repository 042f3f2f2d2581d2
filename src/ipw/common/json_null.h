#pragma once
// An optional number as JSON: the value, or null when it is unknown. Stored and
// exported figures are never 0 for "unknown" (docs/reliability.md).
#include <optional>

#include <nlohmann/json.hpp>

namespace ipw {

template <class T>
nlohmann::json json_or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace ipw
