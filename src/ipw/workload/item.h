#pragma once
#include <string>
#include <vector>

namespace ipw::workload {

// One question of a workload. `kind` selects the scorer: "mc" (multiple choice,
// answer is a letter), "numeric", "exact" (normalised exact match), "chat" (open,
// judged pairwise against `answer` as a reference reply), "reasoning" (open,
// judged True/False against `answer` as the reference answer).
struct Item {
  std::string id;
  std::string prompt;
  std::string answer;
  std::string kind;
  std::string category;
  std::string source;
  std::vector<std::string> options;  // multiple choice only; rendered as A), B), …
};

}  // namespace ipw::workload
