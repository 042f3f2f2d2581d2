#pragma once
// A file compiled into the binary by cmake/embed_files.cmake: the built-in workload,
// the judge prompts, the built-in agent's tasks and knowledge, the HTML report's
// front-end. Each set is a `const std::vector<EmbeddedFile>& NS::FUNC()`.
#include <optional>
#include <string_view>
#include <vector>

namespace ipw {

struct EmbeddedFile {
  std::string_view name;  // the file's name, without its folder
  std::string_view content;
};

// The content of the file named `name` in `files`, if it is there.
inline std::optional<std::string_view> find_embedded(const std::vector<EmbeddedFile>& files, std::string_view name) {
  for (const EmbeddedFile& f : files) {
    if (f.name == name) return f.content;
  }
  return std::nullopt;
}

}  // namespace ipw
