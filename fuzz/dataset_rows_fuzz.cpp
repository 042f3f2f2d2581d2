// Dataset rows (workload/source_rows.h): any JSONL or CSV file parses or reports a bad
// row by its line number; nothing crashes.
#include <stdexcept>

#include "fuzz_input.h"
#include "ipw/workload/source_rows.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = ipw::fuzz::as_text(data, size);
  int bad = 0;
  const ipw::workload::BadRowHandler count = [&](int line, const std::string&) {
    if (line < 1) ipw::fuzz::invariant_failed("a bad row without a line number");
    ++bad;
  };
  for (auto parse : {&ipw::workload::parse_jsonl, &ipw::workload::parse_csv}) {
    try {
      for (const auto& row : parse(in, count)) {
        if (row.line < 1) ipw::fuzz::invariant_failed("a row without a line number");
      }
    } catch (const std::exception&) {  // a fatal parse error is a clear message, not a crash
    }
  }
  return 0;
}
