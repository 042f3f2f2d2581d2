#pragma once
// A dataset given as a folder: which of its files hold the rows, in which order.
// Hugging Face datasets arrive as folders in two layouts (docs/workloads.md,
// "Folders and splits"): a hub download, whose files name their split
// (data/test-00000-of-00002.parquet, test/0000.parquet, train.jsonl), and a
// `save_to_disk` folder (state.json listing .arrow files; dataset_dict.json above one
// folder per split).
#include <string>
#include <vector>

namespace ipw::workload {

struct DatasetFiles {
  std::vector<std::string> paths;  // in read order (by relative path: shards in number order)
  std::string split;               // the split read ("" when the folder names none)
};

// split "" takes the folder's only split; a folder of several splits then throws
// DatasetError naming them, as does a split the folder lacks.
DatasetFiles dataset_files(const std::string& folder, const std::string& split);

// The split a file belongs to, from its path relative to the dataset folder:
// "data/test-00000-of-00002.parquet" -> "test", "test/0000.parquet" -> "test",
// "train.jsonl" -> "train".
std::string split_of(const std::string& relative_path);

}  // namespace ipw::workload
