#pragma once
// The built-in agent's task set and knowledge file, embedded at build time from
// data/agent/ (cmake/embed.cmake), so `ipw agent --tasks builtin` needs no files.
#include <string_view>
#include <vector>

namespace ipw::agent {

struct AgentFile {
  std::string_view name;
  std::string_view content;
};
const std::vector<AgentFile>& agent_files();

}  // namespace ipw::agent
