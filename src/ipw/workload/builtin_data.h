#pragma once
// The built-in workload files, embedded at build time from data/builtin/*.jsonl
// (see cmake/embed_data.cmake), so `--dataset builtin` needs no files on disk.
#include <string_view>
#include <vector>

namespace ipw::workload {

struct BuiltinFile {
  std::string_view name;
  std::string_view content;
};
const std::vector<BuiltinFile>& builtin_files();

}  // namespace ipw::workload
