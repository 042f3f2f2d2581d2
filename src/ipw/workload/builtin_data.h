#pragma once
// The built-in workload files, embedded at build time from data/builtin/*.jsonl
// (cmake/embed.cmake), so `--dataset builtin` needs no files on disk.
#include "ipw/common/embedded_file.h"

namespace ipw::workload {

const std::vector<EmbeddedFile>& builtin_files();

}  // namespace ipw::workload
