#include "ipw/agent/tools.h"

#include <stdexcept>

#include <fmt/format.h>

#include "ipw/agent/agent_data.h"
#include "ipw/agent/calculator.h"
#include "ipw/agent/units.h"
#include "ipw/common/text.h"

namespace ipw::agent {
namespace {

std::string number_text(double v) { return fmt::format("{:.10g}", v); }

nlohmann::json function_tool(const char* name, const char* description, nlohmann::json properties,
                             nlohmann::json required) {
  return {{"type", "function"},
          {"function",
           {{"name", name},
            {"description", description},
            {"parameters", {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}}}}}};
}

nlohmann::json tool_definitions() {
  return nlohmann::json::array({
      function_tool("calculator", "Evaluate an arithmetic expression with + - * / ^ and parentheses.",
                    {{"expression", {{"type", "string"}, {"description", "e.g. (3 + 4) * 2.5"}}}}, {"expression"}),
      function_tool("convert_units",
                    "Convert a value between units of length, mass, time, volume, energy, power, speed or temperature.",
                    {{"value", {{"type", "number"}}},
                     {"from", {{"type", "string"}, {"description", "unit name or symbol, e.g. km, miles, C"}}},
                     {"to", {{"type", "string"}}}},
                    {"value", "from", "to"}),
      function_tool("lookup", "Look up a fact in the local knowledge base by its name.",
                    {{"key", {{"type", "string"}, {"description", "the entry's name, e.g. speed of light"}}}}, {"key"}),
  });
}

}  // namespace

ToolBox::ToolBox(nlohmann::json knowledge) : knowledge_(std::move(knowledge)), tools_(tool_definitions()) {
  if (!knowledge_.is_object()) throw std::invalid_argument("the knowledge file must hold a JSON object: name -> value");
}

std::string ToolBox::lookup(const std::string& key) const {
  const std::string want = ascii_lower(key);
  for (const auto& [name, value] : knowledge_.items()) {
    if (ascii_lower(name) == want) return value.is_string() ? value.get<std::string>() : value.dump();
  }
  std::string known;
  for (const auto& [name, value] : knowledge_.items()) known += (known.empty() ? "" : ", ") + name;
  return fmt::format("error: no entry '{}'; the entries are: {}", key, known);
}

std::string ToolBox::call(const std::string& name, const std::string& arguments_json) const {
  nlohmann::json args = nlohmann::json::parse(arguments_json.empty() ? "{}" : arguments_json, nullptr, false);
  if (args.is_discarded() || !args.is_object()) return "error: the arguments are not a JSON object";
  const auto text = [&](const char* field) -> std::optional<std::string> {
    const auto it = args.find(field);
    if (it == args.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (name == "calculator") {
    const auto expr = text("expression");
    if (!expr) return "error: calculator needs \"expression\", a string";
    const auto v = calculate(*expr);
    return v ? number_text(*v) : "error: " + v.error();
  }
  if (name == "convert_units") {
    const auto from = text("from"), to = text("to");
    const auto value = args.find("value");
    double x = 0;
    if (value != args.end() && value->is_number()) {
      x = value->get<double>();
    } else if (value != args.end() && value->is_string()) {  // models often quote numbers
      const auto v = calculate(value->get<std::string>());
      if (!v) return "error: \"value\" is not a number";
      x = *v;
    } else {
      return "error: convert_units needs \"value\", a number";
    }
    if (!from || !to) return "error: convert_units needs \"from\" and \"to\", unit names";
    const auto v = convert_units(x, *from, *to);
    return v ? number_text(*v) : "error: " + v.error();
  }
  if (name == "lookup") {
    const auto key = text("key");
    if (!key) return "error: lookup needs \"key\", a string";
    return lookup(*key);
  }
  return fmt::format("error: no tool '{}'; the tools are calculator, convert_units, lookup", name);
}

nlohmann::json builtin_knowledge() {
  if (const auto k = find_embedded(agent_files(), "knowledge.json")) return nlohmann::json::parse(*k);
  throw std::logic_error("data/agent/knowledge.json was not embedded");
}

}  // namespace ipw::agent
