// Parquet -> rows through DuckDB (duckdb_library.h), which has the format's whole
// breadth (every encoding and compression codec, nested types); ipw asks it for
// each row as one JSON object and parses that as the JSONL reader does.
#include "ipw/workload/duckdb_library.h"
#include "ipw/workload/source_rows.h"

namespace ipw::workload {
namespace {

// DuckDB's message without the query echo it appends ("LINE 1: SELECT ...").
std::string first_paragraph(const std::string& message) {
  const std::size_t cut = message.find("\n\n");
  return cut == std::string::npos ? message : message.substr(0, cut);
}

}  // namespace

std::vector<SourceRow> parse_parquet(const std::string& path, const BadRowHandler& bad_row) {
  std::unique_ptr<DuckDb> db = DuckDb::open();
  std::vector<std::optional<std::string>> texts;
  try {
    // The alias names the whole row as a struct; an unusual name cannot shadow a column.
    texts = db->texts("SELECT to_json(ipw_row__)::VARCHAR FROM read_parquet(" + sql_quote(path) + ") AS ipw_row__");
  } catch (const DuckDbError& e) {
    throw FatalParseError(0, "cannot read it as Parquet: " + first_paragraph(e.what()));
  }
  std::vector<SourceRow> rows;
  rows.reserve(texts.size());
  int row_no = 0;
  for (const std::optional<std::string>& text : texts) {
    ++row_no;
    nlohmann::json fields = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!fields.is_object()) {
      bad_row(row_no, "DuckDB returned no JSON object for this row");
      continue;
    }
    rows.push_back({row_no, std::move(fields)});
  }
  return rows;
}

}  // namespace ipw::workload
