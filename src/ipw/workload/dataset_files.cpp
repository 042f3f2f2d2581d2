#include "ipw/workload/dataset_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "ipw/common/text.h"
#include "ipw/workload/dataset.h"

namespace ipw::workload {
namespace {

namespace fs = std::filesystem;

const std::set<std::string>& data_extensions() {
  static const std::set<std::string> exts = {".parquet", ".arrow", ".jsonl", ".ndjson", ".csv"};
  return exts;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw DatasetError(path.string() + ": not a JSON object");
  return j;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// state.json of `save_to_disk`: {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_split": ...}.
DatasetFiles saved_dataset(const fs::path& folder, const std::string& split) {
  const nlohmann::json state = read_json(folder / "state.json");
  DatasetFiles out;
  if (state.contains("_split") && state["_split"].is_string()) out.split = state["_split"].get<std::string>();
  if (!split.empty() && !out.split.empty() && split != out.split) {
    throw DatasetError(folder.string() + " holds the split '" + out.split + "', not '" + split + "'");
  }
  const nlohmann::json files = state.value("_data_files", nlohmann::json());
  if (!files.is_array() || files.empty()) throw DatasetError((folder / "state.json").string() + " lists no _data_files");
  for (const nlohmann::json& f : files) {
    if (!f.is_object() || !f.value("filename", nlohmann::json()).is_string()) {
      throw DatasetError((folder / "state.json").string() + ": a _data_files entry has no filename");
    }
    const std::string name = f["filename"].get<std::string>();
    if (name.find('/') != std::string::npos || name == "..") {
      throw DatasetError((folder / "state.json").string() + ": filename '" + name + "' leaves the folder");
    }
    out.paths.push_back((folder / name).string());
  }
  return out;
}

}  // namespace

std::string split_of(const std::string& relative_path) {
  const fs::path p(relative_path);
  const std::string stem = p.stem().string();
  static const std::regex shard(R"((.+)-\d+-of-\d+)");
  std::smatch m;
  if (std::regex_match(stem, m, shard)) return m[1].str();
  const bool numbered = !stem.empty() && std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numbered && p.has_parent_path()) return p.parent_path().filename().string();
  return stem;
}

DatasetFiles dataset_files(const std::string& folder_in, const std::string& split) {
  const fs::path folder(folder_in);
  if (fs::exists(folder / "dataset_dict.json")) {
    // save_to_disk of several splits: one saved dataset per split folder.
    const nlohmann::json dict = read_json(folder / "dataset_dict.json");
    std::set<std::string> splits;
    for (const nlohmann::json& s : dict.value("splits", nlohmann::json::array()))
      if (s.is_string()) splits.insert(s.get<std::string>());
    if (splits.empty()) throw DatasetError((folder / "dataset_dict.json").string() + " lists no splits");
    std::string chosen = split;
    if (chosen.empty()) {
      if (splits.size() > 1) {
        throw DatasetError(folder_in + " holds the splits " + joined(splits) + ": choose one with --split");
      }
      chosen = *splits.begin();
    }
    if (!splits.count(chosen)) {
      throw DatasetError(folder_in + " has no split '" + chosen + "' (it has " + joined(splits) + ")");
    }
    DatasetFiles out = saved_dataset(folder / chosen, "");
    out.split = chosen;
    return out;
  }
  if (fs::exists(folder / "state.json")) return saved_dataset(folder, split);

  // A hub download: every data file below the folder (not in hidden folders such
  // as .cache or .git), grouped by the split its path names.
  std::map<std::string, std::vector<std::string>> by_split;
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || !data_extensions().count(ascii_lower(it->path().extension().string()))) continue;
    const std::string rel = fs::relative(it->path(), folder).string();
    by_split[split_of(rel)].push_back(rel);
  }
  if (by_split.empty()) {
    throw DatasetError(folder_in + " holds no dataset files (.parquet, .arrow, .jsonl, .csv) and no state.json");
  }
  std::set<std::string> splits;
  for (const auto& [s, files] : by_split) splits.insert(s);
  std::string chosen = split;
  if (chosen.empty()) {
    if (splits.size() > 1) throw DatasetError(folder_in + " holds the splits " + joined(splits) + ": choose one with --split");
    chosen = *splits.begin();
  }
  if (!by_split.count(chosen)) throw DatasetError(folder_in + " has no split '" + chosen + "' (it has " + joined(splits) + ")");
  std::vector<std::string> rel = by_split[chosen];
  std::sort(rel.begin(), rel.end());
  DatasetFiles out;
  out.split = chosen;
  for (const std::string& r : rel) out.paths.push_back((folder / r).string());
  return out;
}

}  // namespace ipw::workload
