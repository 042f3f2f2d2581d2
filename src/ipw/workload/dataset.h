#pragma once
// Loading a workload: the built-in items, or a user's JSONL, CSV, Parquet or Arrow
// file or a folder of a dataset's files (dataset_files.h), read through an injectable
// FileReader (tests use an in-memory one; Parquet is read from disk by DuckDB),
// validated row by row.
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
  // auto (by extension) | jsonl | csv | parquet | arrow | a public benchmark's preset
  // (presets.h: mmlu-pro, supergpqa, gpqa, math500, ...); a preset reads each file by
  // its extension.
  std::string format = "auto";
  // A dataset folder's split (train, test, ...); "" takes its only one. A usage error
  // for a single file or the built-in workload.
  std::string split;
  bool skip_bad_rows = false;  // false: the first bad row throws; true: warn and skip it
  // Dataset column -> ipw field (id, prompt, answer, kind, category, source, options, context),
  // e.g. {{"question", "prompt"}, {"answer_text", "answer"}}. Mapped columns win over
  // an unmapped column that already has the ipw field's name.
  std::map<std::string, std::string> field_map;
};

struct Dataset {
  std::string name;          // "builtin", the file's name without directory and extension, or the folder's
  // sha256 hex of the bytes read (all built-in files, in order); for a folder, of each
  // file's relative path and sha256.
  std::string content_hash;
  std::string split;                   // a folder's split ("" for a file)
  std::vector<std::string> files;      // the files read, in order (none for the built-in workload)
  std::vector<Item> items;
  std::vector<std::string> warnings;  // one per skipped row, "file:line: problem (row skipped)"
  std::vector<std::string> notes;     // about whole columns, e.g. one of a type ipw does not read
};

// spec: "builtin" (every embedded data/builtin/*.jsonl, concatenated), "builtin:NAME"
// (one of them, by file name without extension), a file path, or a folder.
Dataset load_dataset(const std::string& spec, const LoadOptions& opt = {}, const FileReader& reader = disk_reader());

// The formats of files: jsonl, csv, parquet, arrow.
const std::vector<std::string>& file_formats();
// Every LoadOptions::format: auto, the file formats, then each preset's name (presets.h).
std::vector<std::string> dataset_formats();

// The ipw fields a field map may target, and the item kinds a row may declare.
const std::vector<std::string>& ipw_fields();
const std::vector<std::string>& item_kinds();

}  // namespace ipw::workload
