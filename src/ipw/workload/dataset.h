#pragma once
// Loading a workload: the built-in items or a user's JSONL/CSV file, read through
// an injectable FileReader (tests use an in-memory one), validated row by row.
// Every bad row is reported with file:line — fatal by default, a warning and a
// skipped row with skip_bad_rows — and never silently dropped.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipw/workload/item.h"
#include "ipw/workload/prompt.h"

namespace ipw::workload {

// The message names the file (and line, where there is one) and what is wrong.
struct DatasetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class FileReader {
 public:
  virtual ~FileReader() = default;
  // The whole file's bytes; throws DatasetError "cannot read FILE: reason".
  virtual std::string read(const std::string& path) const = 0;
};
const FileReader& disk_reader();

struct LoadOptions {
  // auto (by extension) | jsonl | csv | a public benchmark's preset: mmlu-pro, supergpqa,
  // gpqa, math500, natural-reasoning, wildchat (presets.h); a preset reads JSONL or CSV
  // by extension.
  std::string format = "auto";
  bool skip_bad_rows = false;  // false: the first bad row throws; true: warn and skip it
  // Dataset column -> ipw field (id, prompt, answer, kind, category, source, options),
  // e.g. {{"question", "prompt"}, {"answer_text", "answer"}}. Mapped columns win over
  // an unmapped column that already has the ipw field's name.
  std::map<std::string, std::string> field_map;
};

struct Dataset {
  std::string name;          // "builtin", or the file's name without directory and extension
  std::string content_hash;  // sha256 hex of the bytes read (all built-in files, in order)
  std::vector<Item> items;
  std::vector<std::string> warnings;  // one per skipped row, "file:line: problem (row skipped)"
};

// spec: "builtin" (every embedded data/builtin/*.jsonl, concatenated), "builtin:NAME"
// (one of them, by file name without extension), or a file path.
Dataset load_dataset(const std::string& spec, const LoadOptions& opt = {}, const FileReader& reader = disk_reader());

// Every LoadOptions::format: auto, jsonl, csv, then each preset's name (presets.h).
std::vector<std::string> dataset_formats();

// The ipw fields a field map may target, and the item kinds a row may declare.
const std::vector<std::string>& ipw_fields();
const std::vector<std::string>& item_kinds();

}  // namespace ipw::workload
