#pragma once
// The first stage of loading: bytes -> rows of named fields with their line (or row)
// numbers, before any ipw meaning is attached (that is row_to_item's job).
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::workload {

struct SourceRow {
  int line = 0;           // 1-based line where the row starts (Parquet, Arrow: the row's number)
  nlohmann::json fields;  // a JSON object; CSV cells are strings
  // The 1-based number of the record in its file, from which presets make ids
  // for rows that have none, so a file and its Parquet copy get the same ids:
  // the CSV data row (the header and quoted line breaks are not rows); 0: `line`.
  int record = 0;
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

// An Arrow IPC stream or file (.arrow: Hugging Face `datasets` caches and
// `save_to_disk` folders, Feather v2), uncompressed, without dictionaries; `line`
// is the row's 1-based number. Text, integers, floats, booleans, lists and structs
// become JSON; a column of a type ipw has no use for (decimal, timestamp, binary, ...)
// is left null and named once in `notes`. A row holding ill-formed UTF-8 is a bad
// row. A file that is not valid Arrow IPC throws FatalParseError (line 0).
std::vector<SourceRow> parse_arrow_ipc(std::string_view bytes, const BadRowHandler& bad_row,
                                       std::vector<std::string>& notes);

// A Parquet file read from disk through DuckDB's C library (duckdb_library.h); `line`
// is the row's 1-based number. Throws DuckDbError when the library is missing and
// FatalParseError (line 0) for a file DuckDB cannot read as Parquet.
std::vector<SourceRow> parse_parquet(const std::string& path, const BadRowHandler& bad_row);

}  // namespace ipw::workload
