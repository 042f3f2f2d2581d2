#pragma once
// The built-in agent's task set and knowledge file, embedded at build time from
// data/agent/ (cmake/embed.cmake), so `ipw agent --tasks builtin` needs no files.
#include "ipw/common/embedded_file.h"

namespace ipw::agent {

const std::vector<EmbeddedFile>& agent_files();

}  // namespace ipw::agent
