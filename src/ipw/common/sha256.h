#pragma once
// SHA-256 (OpenSSL), as lower-case hex: the identity of a workload's bytes, a judge
// prompt, a judgment's cache key, and a model file — two runs on "the same model" can
// then be shown to be on the same bytes.
#include <string>
#include <string_view>

#include "ipw/common/expected.h"

namespace ipw {

std::string sha256_hex(std::string_view data);
// Streams the file, so a multi-GB model costs seconds, never its size in memory.
Expected<std::string, std::string> sha256_file_hex(const std::string& path);

}  // namespace ipw
