#pragma once
// Parquet fixtures, written by DuckDB (the library ipw reads Parquet with) from a
// JSONL or CSV fixture: the unit tests call it, the e2e tests run it as
// bin/ipw-test-write-parquet SOURCE OUT [SELECT [WHERE]].
#include <string>

namespace ipw::testing {

// SELECT and WHERE are SQL over the source's columns ("*" and "true": all of it).
// CSV cells stay text, as ipw's own CSV reader keeps them.
void write_parquet_copy(const std::string& source, const std::string& out, const std::string& select = "*",
                        const std::string& where = "true");

}  // namespace ipw::testing
