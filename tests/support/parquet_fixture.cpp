#include "parquet_fixture.h"

#include "ipw/workload/duckdb_library.h"

namespace ipw::testing {

void write_parquet_copy(const std::string& source, const std::string& out, const std::string& select,
                        const std::string& where) {
  using workload::sql_quote;
  const bool csv = source.size() > 4 && source.substr(source.size() - 4) == ".csv";
  const std::string reader = csv ? "read_csv(" + sql_quote(source) + ", header = true, all_varchar = true)"
                                 : "read_json(" + sql_quote(source) + ", format = 'newline_delimited')";
  workload::DuckDb::open()->exec("COPY (SELECT " + select + " FROM " + reader + " WHERE " + where + ") TO " +
                                 sql_quote(out) + " (FORMAT parquet)");
}

}  // namespace ipw::testing
