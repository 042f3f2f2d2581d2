#pragma once
// One turn of a conversation: what a workload item carries as context before its
// prompt (a WildChat conversation's earlier turns) and what a chat request sends
// ahead of the user's message.
#include <string>

namespace ipw {

struct ChatTurn {
  std::string role;  // "user" | "assistant" | "system"
  std::string content;
};

}  // namespace ipw
