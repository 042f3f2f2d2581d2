// The GGUF header reader (inference/engine_gguf.h): any file gives facts or an error
// within its size limit; nothing crashes or allocates beyond the limit.
#include <sstream>

#include "fuzz_input.h"
#include "ipw/inference/engine_gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in{std::string(ipw::fuzz::as_text(data, size))};
  (void)ipw::inference::read_gguf(in, size);
  return 0;
}
