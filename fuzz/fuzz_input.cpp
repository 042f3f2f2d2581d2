#include "fuzz_input.h"

#include <cstdio>
#include <cstdlib>

namespace ipw::fuzz {

void invariant_failed(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace ipw::fuzz
