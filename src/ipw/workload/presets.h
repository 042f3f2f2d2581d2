#pragma once
// Ready mappings for public benchmark files as users download them (their real
// column names and answer conventions), chosen with LoadOptions::format. Each reads
// JSONL, CSV, Parquet or Arrow alike: the layout is in the columns, not the file type.
#include <functional>
#include <string>
#include <vector>

#include "ipw/workload/source_rows.h"

namespace ipw::workload {

struct PresetColumn {
  std::vector<std::string> names;  // the column, or alternatives read in this order
  bool required = true;
  std::string field;  // the ipw field it fills ("" for none): a field map for it stands in for the column
};

struct Preset {
  std::string name;         // the format name, e.g. "mmlu-pro"
  std::string file_format;  // what a file whose extension says nothing is read as
  std::string origin;       // where users get it, e.g. "TIGER-Lab/MMLU-Pro (Hugging Face)"
  std::string summary;      // how its rows become items, one line
  std::vector<PresetColumn> columns;
  // Adds ipw fields (id, prompt, answer, kind, options, category, source, and
  // context) to a row, keeping its own columns (so a user field map can still
  // override them). Throws RowError for a row the preset cannot read.
  std::function<void(SourceRow&)> apply;
};

const Preset* find_preset(const std::string& name);  // nullptr if none
const std::vector<Preset>& presets();

// "'answer' or 'answer_index'", with " (optional)" for an optional column.
std::string describe(const PresetColumn& column);

// The formats and presets with their columns, for `ipw profile --list-formats`.
std::string format_listing();

}  // namespace ipw::workload
