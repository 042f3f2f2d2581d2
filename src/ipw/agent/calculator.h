#pragma once
// The built-in agent's calculator tool (docs/agents.md, "ipw agent"): arithmetic on
// decimal numbers with + - * / ^ (power, right-associative), unary minus and
// parentheses. It evaluates; it never executes anything, so a model's expression
// cannot reach the host.
#include <string>
#include <string_view>

#include "ipw/common/expected.h"

namespace ipw::agent {

// The value, or what is wrong with the expression and where ("unexpected ')' at 7").
Expected<double, std::string> calculate(std::string_view expression);

}  // namespace ipw::agent
