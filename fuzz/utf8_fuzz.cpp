// Text made valid at ingestion (common/utf8.h): whatever the bytes, the result is valid
// UTF-8, valid input is kept as it is, and an excerpt is valid and bounded.
#include "fuzz_input.h"
#include "ipw/common/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = ipw::fuzz::as_text(data, size);
  const std::string out = ipw::valid_utf8(in);
  if (!ipw::is_valid_utf8(out)) ipw::fuzz::invariant_failed("valid_utf8 returned invalid UTF-8");
  if (ipw::is_valid_utf8(in) && out != in) ipw::fuzz::invariant_failed("valid_utf8 changed valid input");
  if (ipw::valid_utf8(out) != out) ipw::fuzz::invariant_failed("valid_utf8 is not idempotent");
  const std::size_t max = size % 17;
  const std::string cut = ipw::excerpt(in, max);
  if (!ipw::is_valid_utf8(cut)) ipw::fuzz::invariant_failed("excerpt returned invalid UTF-8");
  if (size > max && cut.size() > 3 * max + 3 + 3) ipw::fuzz::invariant_failed("excerpt is not bounded");
  return 0;
}
