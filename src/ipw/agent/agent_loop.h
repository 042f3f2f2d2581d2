#pragma once
// The built-in agent of `ipw agent` (docs/agents.md): a small tool-calling loop over
// the OpenAI chat API. It sends the task, runs the tools the model asks for
// (tools.h), sends their results back, and stops at the first reply without tool
// calls, which is scored by the scorer of the task's kind (scoring/). Every request
// carries `X-IPW-Task: <task id>`, so a measuring proxy in front of the server groups
// the turns into the task.
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "ipw/agent/tools.h"
#include "ipw/workload/item.h"

namespace ipw::agent {

struct AgentOptions {
  std::string chat_url;  // the chat completions endpoint, e.g. http://127.0.0.1:8090/v1/chat/completions
  std::string model;     // the request's "model" ("" leaves it out: llama.cpp serves its one model)
  int max_turns = 8;     // requests per task, at most
  double timeout_s = 300;
  std::string api_key;   // sent as a bearer token when set
};

struct TaskResult {
  std::string task;
  // The scorer's verdict on the final answer; empty when there is none to score (the
  // kind has no local scorer, the answer holds nothing to read, or the task failed).
  std::optional<bool> success;
  bool failed = false;   // no final answer: a request failed or the turn limit was reached
  std::string answer;    // the final reply
  std::string extracted; // what the scorer read in it
  int turns = 0, tool_calls = 0;
  std::string error;  // why it failed, or "interrupted"
};

// Runs one task to its end. `stop` (Ctrl-C) ends it before its next request.
TaskResult run_task(const workload::Item& task, const ToolBox& tools, const AgentOptions& opt,
                    const std::atomic<bool>& stop);

// Replays a conversation (an item with `context`, e.g. from WildChat): each user turn
// of its context, then its prompt, one request at a time, each with the model's own
// replies so far — the growing context of a real multi-turn chat. The dataset's
// assistant turns are not sent (the model answers for itself); a leading system turn
// is. No tools. The last reply is scored like a task's final answer.
TaskResult replay_conversation(const workload::Item& item, const AgentOptions& opt, const std::atomic<bool>& stop);

// The system prompt every task starts with.
const char* agent_system_prompt();

}  // namespace ipw::agent
