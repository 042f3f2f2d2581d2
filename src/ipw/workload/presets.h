#pragma once
// Ready mappings for public benchmark files as users download them (their real
// column names and answer conventions), chosen with LoadOptions::format.
#include <functional>
#include <string>
#include <vector>

#include "ipw/workload/source_rows.h"

namespace ipw::workload {

struct Preset {
  std::string name;         // the format name, e.g. "mmlu-pro"
  std::string file_format;  // "jsonl" or "csv" when the extension does not say
  std::string summary;      // one line for --help and docs
  // Adds ipw fields (id, prompt, answer, kind, options, category, source) to a
  // row, keeping its own columns (so a user field map can still override them).
  // Throws RowError for a row the preset cannot read.
  std::function<void(SourceRow&)> apply;
};

const Preset* find_preset(const std::string& name);  // nullptr if none
const std::vector<Preset>& presets();

}  // namespace ipw::workload
