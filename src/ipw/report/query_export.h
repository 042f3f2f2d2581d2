#pragma once
// Per-query exports for pandas users: JSONL (one object per query) and CSV with
// the same columns. Units are in the column names; times are seconds since the
// query's session origin (the instant its sampler started).
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/run/query_record.h"
#include "ipw/run/store.h"

namespace ipw::report {

// The exported columns, in order (docs/run-layout.md documents each).
const std::vector<std::string>& export_columns();
nlohmann::json export_row(const run::QueryRecord& q);
// Streamed from the store (one record in memory at a time), so a million-query run exports in
// constant memory.
void write_jsonl(const run::RunStore& store, std::ostream& out);
void write_csv(const run::RunStore& store, std::ostream& out);

}  // namespace ipw::report
