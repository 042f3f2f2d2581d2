#include "ipw/agent/agent_loop.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/common/chat_turn.h"
#include "ipw/inference/engine_http.h"
#include "ipw/inference/sse_parser.h"
#include "ipw/scoring/scorer.h"

namespace ipw::agent {
namespace {

// One assistant message as the server streamed it: its text and its tool calls, each
// assembled from the chunks' deltas by index (the name in the first, the arguments in
// pieces).
struct Reply {
  std::string content;
  nlohmann::json tool_calls = nlohmann::json::array();
};

Reply read_stream(const std::string& body) {
  inference::SseParser parser;
  std::vector<inference::SseEvent> events = parser.feed(body);
  if (auto last = parser.finish()) events.push_back(std::move(*last));
  Reply r;
  for (const auto& e : events) {
    if (inference::is_done(e)) break;
    const nlohmann::json chunk = nlohmann::json::parse(e.data, nullptr, false);
    if (chunk.is_discarded() || !chunk.contains("choices") || chunk["choices"].empty()) continue;
    const nlohmann::json& delta = chunk["choices"][0].value("delta", nlohmann::json::object());
    if (delta.contains("content") && delta["content"].is_string()) r.content += delta["content"].get<std::string>();
    for (const auto& call : delta.value("tool_calls", nlohmann::json::array())) {
      const std::size_t i = call.value("index", r.tool_calls.size());
      while (r.tool_calls.size() <= i) {
        r.tool_calls.push_back({{"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", ""}}}});
      }
      nlohmann::json& into = r.tool_calls[i];
      if (call.contains("id") && call["id"].is_string()) into["id"] = call["id"];
      const nlohmann::json fn = call.value("function", nlohmann::json::object());
      if (fn.contains("name") && fn["name"].is_string()) into["function"]["name"] = fn["name"];
      if (fn.contains("arguments") && fn["arguments"].is_string()) {
        into["function"]["arguments"] = into["function"]["arguments"].get<std::string>() + fn["arguments"].get<std::string>();
      }
    }
  }
  for (std::size_t i = 0; i < r.tool_calls.size(); ++i) {  // servers that give no id: make one
    if (r.tool_calls[i]["id"].get<std::string>().empty()) r.tool_calls[i]["id"] = fmt::format("call_{}", i);
  }
  return r;
}

}  // namespace

const char* agent_system_prompt() {
  return "You solve the user's task step by step with the tools you are given: lookup for facts, "
         "convert_units for units, calculator for arithmetic. Call a tool whenever it helps; do not "
         "guess facts. When you have the result, reply without calling tools and end with "
         "'Answer: <number>'.";
}

namespace {

// One request and its streamed reply; the error says why there is none.
Expected<Reply, std::string> exchange(const nlohmann::json& messages, const ToolBox* tools, const AgentOptions& opt,
                                      const std::string& task) {
  nlohmann::json body = {{"messages", messages}, {"stream", true}, {"temperature", 0}};
  if (tools != nullptr) body["tools"] = tools->openai_tools();
  if (!opt.model.empty()) body["model"] = opt.model;
  const auto http = inference::engine_http("POST", opt.chat_url, body.dump(), opt.timeout_s, opt.api_key,
                                           {"X-IPW-Task: " + task});
  if (!http) return unexpected(http.error());
  if (http->status < 200 || http->status >= 300) {
    return unexpected(fmt::format("HTTP {} from the server: {}", http->status, http->body.substr(0, 200)));
  }
  return read_stream(http->body);
}

// The final reply, scored by the scorer of the task's kind; a kind without a local
// scorer (chat, judged later) or an answer it cannot read leaves the outcome unknown.
void score_final(const workload::Item& task, const std::string& reply, TaskResult& r) {
  r.answer = reply;
  const scoring::Scorer* scorer = scoring::scorer_for_kind(task.kind);
  if (scorer == nullptr) return;
  const scoring::Score s = scorer->score(task, reply);
  r.success = s.correct;
  r.extracted = s.extracted;
}

}  // namespace

TaskResult run_task(const workload::Item& task, const ToolBox& tools, const AgentOptions& opt,
                    const std::atomic<bool>& stop) {
  TaskResult r;
  r.task = task.id;
  nlohmann::json messages = nlohmann::json::array({{{"role", "system"}, {"content", agent_system_prompt()}},
                                                   {{"role", "user"}, {"content", task.prompt}}});
  while (r.turns < opt.max_turns) {
    if (stop.load()) {
      r.error = "interrupted";
      return r;
    }
    ++r.turns;
    const auto reply = exchange(messages, &tools, opt, task.id);
    if (!reply) {
      r.error = reply.error();
      r.failed = true;
      return r;
    }
    if (reply->tool_calls.empty()) {
      score_final(task, reply->content, r);
      return r;
    }
    nlohmann::json assistant = {{"role", "assistant"}, {"tool_calls", reply->tool_calls}};
    assistant["content"] = reply->content.empty() ? nlohmann::json() : nlohmann::json(reply->content);
    messages.push_back(std::move(assistant));
    for (const auto& call : reply->tool_calls) {
      ++r.tool_calls;
      const std::string result =
          tools.call(call["function"]["name"].get<std::string>(), call["function"]["arguments"].get<std::string>());
      messages.push_back({{"role", "tool"}, {"tool_call_id", call["id"]}, {"content", result}});
    }
  }
  r.error = fmt::format("no final answer within {} turns (--max-turns)", opt.max_turns);
  r.failed = true;
  return r;
}

TaskResult replay_conversation(const workload::Item& item, const AgentOptions& opt, const std::atomic<bool>& stop) {
  TaskResult r;
  r.task = item.id;
  nlohmann::json messages = nlohmann::json::array();
  std::vector<std::string> user_turns;
  for (const ChatTurn& t : item.context) {
    if (t.role == "system" && user_turns.empty()) messages.push_back({{"role", "system"}, {"content", t.content}});
    if (t.role == "user") user_turns.push_back(t.content);
  }
  user_turns.push_back(item.prompt);
  for (const std::string& turn : user_turns) {
    if (stop.load()) {
      r.error = "interrupted";
      return r;
    }
    messages.push_back({{"role", "user"}, {"content", turn}});
    ++r.turns;
    const auto reply = exchange(messages, nullptr, opt, item.id);
    if (!reply) {
      r.error = reply.error();
      r.failed = true;
      return r;
    }
    messages.push_back({{"role", "assistant"}, {"content", reply->content}});
    if (r.turns == static_cast<int>(user_turns.size())) score_final(item, reply->content, r);
  }
  return r;
}

}  // namespace ipw::agent
