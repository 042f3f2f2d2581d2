// The load flags' parsers: --arrival specs, --arrival-trace CSV files and --sweep
// plans give a value or a clear error (std::invalid_argument or runtime_error).
#include <stdexcept>

#include "fuzz_input.h"
#include "ipw/run/sweep.h"
#include "ipw/workload/arrivals.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(ipw::fuzz::as_text(data, size));
  try {
    (void)ipw::workload::parse_arrival_process(text);
  } catch (const std::exception&) {
  }
  try {
    (void)ipw::workload::parse_arrival_trace_csv(text, "fuzz.csv");
  } catch (const std::exception&) {
  }
  try {
    (void)ipw::run::parse_sweep(text);
  } catch (const std::exception&) {
  }
  return 0;
}
