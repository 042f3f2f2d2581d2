// macOS powermetrics output (telemetry/powermetrics_*.h): any bytes as a plist, and
// any parsed plist as a sample, give a value or an error, never a crash.
#include "fuzz_input.h"
#include "ipw/telemetry/powermetrics_parser.h"
#include "ipw/telemetry/powermetrics_plist.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(ipw::fuzz::as_text(data, size));
  if (auto plist = ipw::telemetry::parse_plist(text)) (void)ipw::telemetry::powermetrics_sample(*plist);
  (void)ipw::telemetry::explain_powermetrics_text(text);
  return 0;
}
