#pragma once
// The second stage of loading: one SourceRow -> one validated Item, applying the
// field map and the defaults (kind from options, category, source).
#include <map>
#include <stdexcept>
#include <string>

#include "ipw/workload/item.h"
#include "ipw/workload/source_rows.h"

namespace ipw::workload {

// What is wrong with one row, without file:line (the caller adds them).
struct RowError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RowContext {
  const std::map<std::string, std::string>* field_map = nullptr;  // column -> ipw field
  std::string default_source;                                     // the file's name without extension
};

Item row_to_item(const SourceRow& row, const RowContext& ctx);  // throws RowError

}  // namespace ipw::workload
