// Arrow IPC files (workload/source_rows.h, parse_arrow_ipc): any bytes parse, or fail
// with a message; rows are numbered from 1 and every row is a JSON object. Every
// length and offset in a file is checked before use, which ASan checks here.
#include <stdexcept>

#include "fuzz_input.h"
#include "ipw/workload/source_rows.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = ipw::fuzz::as_text(data, size);
  const ipw::workload::BadRowHandler check = [&](int line, const std::string&) {
    if (line < 1) ipw::fuzz::invariant_failed("a bad row without a row number");
  };
  std::vector<std::string> notes;
  try {
    for (const auto& row : ipw::workload::parse_arrow_ipc(in, check, notes)) {
      if (row.line < 1) ipw::fuzz::invariant_failed("a row without a row number");
      if (!row.fields.is_object()) ipw::fuzz::invariant_failed("a row that is not an object");
      (void)row.fields.dump();  // every text is valid UTF-8, or dump() throws
    }
  } catch (const ipw::workload::FatalParseError&) {  // a clear message, not a crash
  }
  return 0;
}
