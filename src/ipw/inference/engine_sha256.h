#pragma once
// SHA-256 of a model file, for the manifest: two runs on "the same model" can then be shown to be
// on the same bytes. Streams the file, so a multi-GB model costs seconds, never its size in memory.
#include <string>
#include <string_view>

#include "ipw/common/expected.h"

namespace ipw::inference {

std::string sha256_hex(std::string_view data);  // lowercase hex
Expected<std::string, std::string> sha256_file_hex(const std::string& path);

}  // namespace ipw::inference
