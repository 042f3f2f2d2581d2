#pragma once
// Incremental newline-delimited JSON parser (Ollama's streaming format). Chunks may
// split a record anywhere; a record is parsed once its '\n' has arrived. A malformed
// line is reported as data (with its line number), not thrown, so the caller decides
// whether it ends the stream.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::inference {

struct NdjsonRecord {
  std::size_t line_no = 0;  // 1-based line of the stream
  nlohmann::json value;     // the parsed record (null when error is set)
  std::string error;        // why the line is not JSON, with the start of the line

  bool ok() const { return error.empty(); }
  bool operator==(const NdjsonRecord&) const = default;
};

class NdjsonParser {
 public:
  // Feeds the next bytes; returns the records whose lines they complete, in order.
  // Blank lines (keep-alives) produce no record but still count for line numbers.
  std::vector<NdjsonRecord> feed(std::string_view bytes);

  // End of stream: parses a last line that had no trailing newline.
  std::optional<NdjsonRecord> finish();

 private:
  std::optional<NdjsonRecord> parse_line();

  std::string line_;
  std::size_t line_no_ = 0;
};

}  // namespace ipw::inference
