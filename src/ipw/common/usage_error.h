#pragma once
// The one error the CLI answers with exit 2 ("usage"): the command's inputs as the user
// gave them cannot work — a flag's value, a combination of flags, an environment
// setting, or a file a flag names that is checked before anything runs (an arrival
// trace, a token file). Nothing has been written when it is thrown.
//
// Every other error is a failure (exit 1), whatever its type: a data error found deep
// in the library (a stored value that does not parse, samples out of time order) is
// not the user's command line, and exit 2 would send them to the wrong place.
//
// It is an std::invalid_argument, so code and tests that catch bad arguments in
// general still catch it.
#include <stdexcept>

namespace ipw {

class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace ipw
