#pragma once
// The built-in agent's tools (docs/agents.md, "ipw agent"): a calculator, a unit
// converter and a lookup in a local JSON knowledge file. Deterministic and without
// side effects — never a shell, a file path or the network — so a model's tool call
// cannot touch the host, and the same task gets the same tool results on every run.
#include <string>

#include <nlohmann/json.hpp>

namespace ipw::agent {

class ToolBox {
 public:
  // `knowledge`: a JSON object, entry name -> value (any JSON), looked up by name,
  // case-insensitively. Throws std::invalid_argument when it is not an object.
  explicit ToolBox(nlohmann::json knowledge);

  // The tools as the OpenAI chat API's `tools` array (function tools, JSON Schema
  // parameters).
  const nlohmann::json& openai_tools() const { return tools_; }
  // The result of one call, the text of the `tool` message sent back. A bad call (an
  // unknown tool, arguments that are not JSON, an expression that does not parse) is a
  // result too, "error: …", so the model can correct itself, as with any tool.
  std::string call(const std::string& name, const std::string& arguments_json) const;

 private:
  std::string lookup(const std::string& key) const;
  nlohmann::json knowledge_;
  nlohmann::json tools_;  // built once: every request of every task sends it
};

// The default knowledge file of the built-in task set (data/agent/knowledge.json).
nlohmann::json builtin_knowledge();

}  // namespace ipw::agent
