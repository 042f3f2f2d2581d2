// Replayed power traces (telemetry/replay_trace.h): any CSV parses or is refused with a
// message; a parsed trace's value at any time is finite.
#include <cmath>
#include <stdexcept>

#include "fuzz_input.h"
#include "ipw/telemetry/replay_trace.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(ipw::fuzz::as_text(data, size));
  try {
    const auto trace = ipw::telemetry::parse_replay_csv(text, "fuzz.csv");
    for (const auto& s : trace.series) {
      for (double t : {-1.0, 0.0, 0.5, 1e3, 1e12}) {
        if (!std::isfinite(ipw::telemetry::replay_value_at(s, t))) ipw::fuzz::invariant_failed("a non-finite replayed value");
      }
    }
  } catch (const std::exception&) {
  }
  return 0;
}
