#pragma once
// The judge prompt templates, embedded at build time from data/judge/*.txt
// (see cmake/judge_prompts.cmake).
#include <string_view>
#include <vector>

namespace ipw::judge {

struct PromptFile {
  std::string_view name;     // file name, e.g. "pairwise-v1.txt"
  std::string_view content;
};
const std::vector<PromptFile>& prompt_files();

}  // namespace ipw::judge
