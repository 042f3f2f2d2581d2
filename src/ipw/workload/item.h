#pragma once
#include <string>
#include <vector>

#include "ipw/common/chat_turn.h"

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
  // Earlier turns of a conversation, sent before the prompt (chat items from
  // conversation datasets); empty for a single question.
  std::vector<ChatTurn> context;
};

}  // namespace ipw::workload
