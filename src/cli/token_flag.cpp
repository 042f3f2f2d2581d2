#include "cli/token_flag.h"

#include <cstdlib>
#include <fstream>

#include "ipw/common/usage_error.h"

namespace ipw::cli {

std::string read_token(const std::string& flag, const std::string& file, const char* env) {
  if (!flag.empty()) return flag;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw UsageError("--token-file: cannot read " + file);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) throw UsageError("--token-file: " + file + " is empty");
    return token;
  }
  if (const char* value = std::getenv(env)) return value;
  return {};
}

}  // namespace ipw::cli
