#include "ipw/workload/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_map>

#include "ipw/common/sha256.h"
#include "ipw/common/text.h"
#include "ipw/workload/builtin_data.h"
#include "ipw/workload/presets.h"
#include "ipw/workload/row_to_item.h"
#include "ipw/workload/source_rows.h"

namespace ipw::workload {

const std::vector<std::string>& ipw_fields() {
  static const std::vector<std::string> fields = {"id", "prompt", "answer", "kind", "category", "source", "options"};
  return fields;
}

std::vector<std::string> dataset_formats() {
  std::vector<std::string> formats = {"auto", "jsonl", "csv"};
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
  std::string file_format;         // "jsonl" or "csv"
  const Preset* preset = nullptr;  // a public benchmark's layout, or none
};

Format resolve_format(const std::string& path, const std::string& format) {
  const std::string ext = ascii_lower(std::filesystem::path(path).extension().string());
  const std::string by_ext = ext == ".jsonl" || ext == ".ndjson" || ext == ".json" ? "jsonl"
                             : ext == ".csv"                                       ? "csv"
                                                                                   : "";
  if (format == "jsonl" || format == "csv") return {format, nullptr};
  if (const Preset* p = find_preset(format)) return {by_ext.empty() ? p->file_format : by_ext, p};
  if (format != "auto") {
    std::string known = "auto, jsonl, csv";
    for (const Preset& p : presets()) known += ", " + p.name;
    throw DatasetError("unknown dataset format '" + format + "' (expected one of " + known + ")");
  }
  if (by_ext.empty()) {
    throw DatasetError("cannot tell the format of " + path + " from its extension '" + ext +
                       "'; name the format (jsonl or csv)");
  }
  return {by_ext, nullptr};
}

// Turns one file's bytes into items, applying the bad-row policy, and checks ids
// against every earlier file of the same dataset.
class Loader {
 public:
  Loader(const LoadOptions& opt, Dataset& out) : opt_(opt), out_(out) {}

  void add_file(const std::string& label, const std::string& default_source, const std::string& bytes,
                const Format& format) {
    BadRowHandler bad_row = [&](int line, const std::string& problem) { report(label, line, problem); };
    std::vector<SourceRow> rows;
    try {
      rows = format.file_format == "csv" ? parse_csv(bytes, bad_row) : parse_jsonl(bytes, bad_row);
    } catch (const FatalParseError& e) {
      throw DatasetError(label + ":" + std::to_string(e.line) + ": " + e.what());
    }
    if (format.file_format == "csv" && !rows.empty()) check_mapped_columns(label, rows.front());
    RowContext ctx{&opt_.field_map, default_source};
    for (SourceRow& row : rows) {
      Item item;
      try {
        if (format.preset) format.preset->apply(row);
        item = row_to_item(row, ctx);
      } catch (const RowError& e) {
        report(label, row.line, e.what());
        continue;
      }
      const std::string where = label + ":" + std::to_string(row.line);
      auto [it, inserted] = first_seen_.emplace(item.id, where);
      if (!inserted) {
        report(label, row.line, "duplicate id '" + item.id + "' (first used at " + it->second + ")");
        continue;
      }
      out_.items.push_back(std::move(item));
    }
  }

 private:
  void report(const std::string& label, int line, const std::string& problem) {
    const std::string message = label + ":" + std::to_string(line) + ": " + problem;
    if (!opt_.skip_bad_rows) throw DatasetError(message);
    out_.warnings.push_back(message + " (row skipped)");
  }

  // In a CSV every row has the header's columns, so a mapped column the header
  // lacks is a mistake in the map, better named once than on every row.
  void check_mapped_columns(const std::string& label, const SourceRow& first) const {
    for (const auto& [column, field] : opt_.field_map) {
      if (first.fields.contains(column)) continue;
      std::string have;
      for (const auto& [name, value] : first.fields.items()) have += (have.empty() ? "" : ", ") + name;
      throw DatasetError(label + ": field map names column '" + column + "' (for '" + field +
                         "'), which the header does not have (columns: " + have + ")");
    }
  }

  const LoadOptions& opt_;
  Dataset& out_;
  std::unordered_map<std::string, std::string> first_seen_;  // id -> file:line
};

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
  for (const BuiltinFile& f : builtin_files()) {
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
  if (spec == "builtin" || spec.rfind("builtin:", 0) == 0) {
    ds = load_builtin(spec == "builtin" ? "" : spec.substr(8), opt);
  } else {
    const Format format = resolve_format(spec, opt.format);
    const std::string bytes = reader.read(spec);
    ds.name = stem_of(spec);
    ds.content_hash = sha256_hex(bytes);
    Loader(opt, ds).add_file(spec, stem_of(spec), bytes, format);
  }
  if (ds.items.empty()) {
    throw DatasetError(spec + ": no items" + (ds.warnings.empty() ? "" : " (every row was skipped as bad)"));
  }
  return ds;
}

}  // namespace ipw::workload
