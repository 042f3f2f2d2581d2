#include "ipw/workload/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_map>

#include "ipw/common/sha256.h"
#include "ipw/common/text.h"
#include "ipw/common/usage_error.h"
#include "ipw/workload/builtin_data.h"
#include "ipw/workload/dataset_files.h"
#include "ipw/workload/duckdb_library.h"
#include "ipw/workload/presets.h"
#include "ipw/workload/row_to_item.h"
#include "ipw/workload/source_rows.h"

namespace ipw::workload {

const std::vector<std::string>& ipw_fields() {
  static const std::vector<std::string> fields = {"id",       "prompt", "answer",  "kind",
                                                 "category", "source", "options", "context"};
  return fields;
}

const std::vector<std::string>& file_formats() {
  static const std::vector<std::string> formats = {"jsonl", "csv", "parquet", "arrow"};
  return formats;
}

std::vector<std::string> dataset_formats() {
  std::vector<std::string> formats = {"auto"};
  formats.insert(formats.end(), file_formats().begin(), file_formats().end());
  for (const Preset& p : presets()) formats.push_back(p.name);
  return formats;
}

// One line per kind; "chat" has no local scorer and is judged against its reference.
const std::vector<std::string>& item_kinds() {
  static const std::vector<std::string> kinds = {"mc", "numeric", "exact", "chat", "reasoning"};
  return kinds;
}

namespace {

void check_field_map(const std::map<std::string, std::string>& field_map) {
  const auto& fields = ipw_fields();
  std::map<std::string, std::string> target_to_column;
  for (const auto& [column, field] : field_map) {
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) {
      std::string known;
      for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f;
      throw DatasetError("field map: '" + column + "' -> '" + field + "': '" + field +
                         "' is not an ipw field (expected one of " + known + ")");
    }
    auto [it, inserted] = target_to_column.emplace(field, column);
    if (!inserted) {
      throw DatasetError("field map: both '" + it->second + "' and '" + column + "' map to '" + field + "'");
    }
  }
}

struct Format {
  std::string file_format;         // jsonl | csv | parquet | arrow
  const Preset* preset = nullptr;  // a public benchmark's layout, or none
};

std::string format_of_extension(const std::string& path) {
  const std::string ext = ascii_lower(std::filesystem::path(path).extension().string());
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return "jsonl";
  if (ext == ".csv") return "csv";
  if (ext == ".parquet") return "parquet";
  if (ext == ".arrow" || ext == ".feather") return "arrow";
  return "";
}

Format resolve_format(const std::string& path, const std::string& format) {
  const std::string by_ext = format_of_extension(path);
  const auto& files = file_formats();
  if (std::find(files.begin(), files.end(), format) != files.end()) return {format, nullptr};
  if (const Preset* p = find_preset(format)) return {by_ext.empty() ? p->file_format : by_ext, p};
  if (format != "auto") {
    std::string known;
    for (const std::string& f : dataset_formats()) known += (known.empty() ? "" : ", ") + f;
    throw DatasetError("unknown dataset format '" + format + "' (expected one of " + known + ")");
  }
  if (by_ext.empty()) {
    throw DatasetError("cannot tell the format of " + path + " from its extension '" +
                       std::filesystem::path(path).extension().string() +
                       "'; name the format (jsonl, csv, parquet or arrow)");
  }
  return {by_ext, nullptr};
}

// Turns one file's rows into items, applying the bad-row policy, and checks ids
// against every earlier file of the same dataset.
class Loader {
 public:
  Loader(const LoadOptions& opt, Dataset& out) : opt_(opt), out_(out) {}

  // Text formats come as bytes (through the FileReader); Parquet is read from
  // disk by DuckDB. Rows of the columnar formats are numbered "row N", lines of
  // the text formats "N".
  void add_file(const std::string& label, const std::string& default_source, const std::string& bytes,
                const Format& format) {
    const bool columnar = format.file_format == "parquet" || format.file_format == "arrow";
    const std::string unit = columnar ? "row " : "";
    BadRowHandler bad_row = [&](int line, const std::string& problem) { report(label, unit, line, problem); };
    std::vector<SourceRow> rows;
    try {
      if (format.file_format == "csv") {
        rows = parse_csv(bytes, bad_row);
      } else if (format.file_format == "parquet") {
        rows = parse_parquet(label, bad_row);
      } else if (format.file_format == "arrow") {
        std::vector<std::string> notes;
        rows = parse_arrow_ipc(bytes, bad_row, notes);
        for (const std::string& n : notes) out_.notes.push_back(label + ": " + n);
      } else {
        rows = parse_jsonl(bytes, bad_row);
      }
    } catch (const FatalParseError& e) {
      throw DatasetError(label + (e.line > 0 ? ":" + std::to_string(e.line) : "") + ": " + e.what());
    } catch (const DuckDbError& e) {
      throw DatasetError(label + ": " + e.what());
    }
    // Every row of a CSV, Parquet or Arrow file has the same columns: a missing one
    // is named once, with the file's columns, rather than as a bad value on every row.
    if (format.file_format != "jsonl" && !rows.empty()) check_columns(label, rows.front(), format.preset);
    RowContext ctx{&opt_.field_map, default_source};
    for (SourceRow& row : rows) {
      Item item;
      try {
        if (format.preset) format.preset->apply(row);
        item = row_to_item(row, ctx);
      } catch (const RowError& e) {
        report(label, unit, row.line, e.what());
        continue;
      }
      const std::string where = label + ":" + unit + std::to_string(row.line);
      auto [it, inserted] = first_seen_.emplace(item.id, where);
      if (!inserted) {
        report(label, unit, row.line, "duplicate id '" + item.id + "' (first used at " + it->second + ")");
        continue;
      }
      out_.items.push_back(std::move(item));
    }
  }

 private:
  void report(const std::string& label, const std::string& unit, int line, const std::string& problem) {
    const std::string message = label + ":" + unit + std::to_string(line) + ": " + problem;
    if (!opt_.skip_bad_rows) throw DatasetError(message);
    out_.warnings.push_back(message + " (row skipped)");
  }

  // The columns a field map or preset names and the first row lacks. A mapped
  // column replaces what the preset would read, so a preset's column that the map
  // stands in for is not required.
  void check_columns(const std::string& label, const SourceRow& first, const Preset* preset) const {
    auto have = [&](const std::string& column) { return first.fields.contains(column); };
    auto columns = [&] {
      std::string list;
      for (const auto& [name, value] : first.fields.items()) list += (list.empty() ? "" : ", ") + name;
      return list;
    };
    for (const auto& [column, field] : opt_.field_map) {
      if (have(column)) continue;
      throw DatasetError(label + ": field map names column '" + column + "' (for '" + field +
                         "'), which the file does not have (columns: " + columns() + ")");
    }
    if (!preset) return;
    for (const PresetColumn& c : preset->columns) {
      if (!c.required || std::any_of(c.names.begin(), c.names.end(), have)) continue;
      if (!c.field.empty() && std::any_of(opt_.field_map.begin(), opt_.field_map.end(),
                                          [&](const auto& m) { return m.second == c.field; })) {
        continue;
      }
      throw DatasetError(label + ": the " + preset->name + " layout needs the column " + describe(c) +
                         ", which the file does not have (columns: " + columns() + ")");
    }
  }

  const LoadOptions& opt_;
  Dataset& out_;
  std::unordered_map<std::string, std::string> first_seen_;  // id -> file:line
};

// The bytes the loader parses ("" for Parquet, which DuckDB reads from disk) and
// their sha256 in `hash`: a Parquet file is hashed as a stream, never held whole.
std::string read_for(const std::string& path, const Format& format, const FileReader& reader, std::string& hash) {
  if (format.file_format == "parquet") {
    Expected<std::string, std::string> h = sha256_file_hex(path);
    if (!h) throw DatasetError(h.error());
    hash = *h;
    return {};
  }
  std::string bytes = reader.read(path);
  hash = sha256_hex(bytes);
  return bytes;
}

std::string stem_of(std::string_view name) { return std::filesystem::path(std::string(name)).stem().string(); }

Dataset load_builtin(const std::string& only, const LoadOptions& opt) {
  if (builtin_files().empty()) {
    throw DatasetError("the built-in workload is empty: no data/builtin/*.jsonl was embedded at build time");
  }
  Dataset ds;
  ds.name = only.empty() ? "builtin" : "builtin:" + only;
  Loader loader(opt, ds);
  std::string all_bytes;
  std::string available;
  bool matched = false;
  for (const EmbeddedFile& f : builtin_files()) {
    available += (available.empty() ? "" : ", ") + stem_of(f.name);
    if (!only.empty() && stem_of(f.name) != only) continue;
    matched = true;
    all_bytes.append(f.content);
    loader.add_file("builtin/" + std::string(f.name), stem_of(f.name), std::string(f.content), Format{"jsonl"});
  }
  if (!matched) throw DatasetError("no built-in workload file named '" + only + "' (available: " + available + ")");
  ds.content_hash = sha256_hex(all_bytes);
  return ds;
}

}  // namespace

Dataset load_dataset(const std::string& spec, const LoadOptions& opt, const FileReader& reader) {
  check_field_map(opt.field_map);
  Dataset ds;
  std::error_code ec;
  if (spec == "builtin" || spec.rfind("builtin:", 0) == 0) {
    if (!opt.split.empty()) throw UsageError("--split chooses a split of a dataset folder; the built-in workload has none");
    ds = load_builtin(spec == "builtin" ? "" : spec.substr(8), opt);
  } else if (std::filesystem::is_directory(spec, ec)) {
    DatasetFiles files;
    try {
      files = dataset_files(spec, opt.split);
    } catch (const std::filesystem::filesystem_error& e) {
      throw DatasetError("cannot read the folder " + spec + ": " + e.code().message());
    }
    ds.name = std::filesystem::path(spec).lexically_normal().filename().string();
    if (ds.name.empty()) ds.name = std::filesystem::path(spec).lexically_normal().parent_path().filename().string();
    ds.split = files.split;
    Loader loader(opt, ds);
    // The folder's identity: each file's path within it and the hash of its bytes.
    std::string identity;
    for (const std::string& path : files.paths) {
      const Format format = resolve_format(path, opt.format);
      std::string hash;
      loader.add_file(path, ds.name, read_for(path, format, reader, hash), format);
      identity += std::filesystem::relative(path, spec).string() + " " + hash + "\n";
      ds.files.push_back(path);
    }
    ds.content_hash = sha256_hex(identity);
  } else {
    if (!opt.split.empty()) throw UsageError("--split chooses a split of a dataset folder; " + spec + " is a file");
    const Format format = resolve_format(spec, opt.format);
    ds.name = stem_of(spec);
    Loader(opt, ds).add_file(spec, stem_of(spec), read_for(spec, format, reader, ds.content_hash), format);
    ds.files.push_back(spec);
  }
  if (ds.items.empty()) {
    throw DatasetError(spec + ": no items" + (ds.warnings.empty() ? "" : " (every row was skipped as bad)"));
  }
  return ds;
}

}  // namespace ipw::workload
