#pragma once
// The judge prompt templates, embedded at build time from data/judge/*.txt
// (cmake/embed.cmake), e.g. "pairwise-v1.txt".
#include "ipw/common/embedded_file.h"

namespace ipw::judge {

const std::vector<EmbeddedFile>& prompt_files();

}  // namespace ipw::judge
