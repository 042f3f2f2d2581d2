#pragma once
// The first stage of loading: bytes -> rows of named fields with their line
// numbers, before any ipw meaning is attached (that is row_to_item's job).
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::workload {

struct SourceRow {
  int line = 0;           // 1-based line where the row starts
  nlohmann::json fields;  // a JSON object; CSV cells are strings
};

// A problem the caller may skip (one bad row). It throws or records, as the
// caller's policy says; the parser then moves on to the next row.
using BadRowHandler = std::function<void(int line, const std::string& problem)>;

// A problem no row-skipping can recover from (e.g. an unterminated CSV quote).
struct FatalParseError : std::runtime_error {
  FatalParseError(int line_no, const std::string& problem) : std::runtime_error(problem), line(line_no) {}
  int line;
};

// Files saved by some editors start with a UTF-8 byte-order mark; it is not data.
inline std::string_view strip_bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

// One JSON object per line; blank lines are ignored; a UTF-8 BOM and CRLF are tolerated.
std::vector<SourceRow> parse_jsonl(std::string_view text, const BadRowHandler& bad_row);

// RFC 4180 with a header row: comma-separated, "…" quoting with "" for a quote,
// quoted fields may span lines, LF or CRLF record ends. Blank lines are ignored.
std::vector<SourceRow> parse_csv(std::string_view text, const BadRowHandler& bad_row);

}  // namespace ipw::workload
