#pragma once
// The built-in agent's unit converter tool (docs/agents.md, "ipw agent"): length,
// mass, time, volume, energy, power, speed and temperature, by name or symbol
// ("km", "kilometre", "kilometers"), case-insensitive.
#include <string>
#include <string_view>

#include "ipw/common/expected.h"

namespace ipw::agent {

// `value` in `from`, expressed in `to`; an error names an unknown unit or units of
// different quantities ("cannot convert kg (mass) to m (length)").
Expected<double, std::string> convert_units(double value, std::string_view from, std::string_view to);

}  // namespace ipw::agent
