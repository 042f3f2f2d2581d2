#pragma once
// Finding a program as a shell would: the first executable file named `name` in a
// directory of PATH (an empty entry is the current directory).
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include <unistd.h>

namespace ipw {

inline std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto p = std::filesystem::path(dir.empty() ? "." : dir) / name;
    std::error_code ec;
    if (::access(p.c_str(), X_OK) == 0 && !std::filesystem::is_directory(p, ec)) return p.string();
  }
  return std::nullopt;
}

}  // namespace ipw
