// The built-in agent's tools (agent/): the calculator's grammar and errors, unit
// conversions, and the tool box's answers to good and bad calls.
#include "ipw/agent/tools.h"

#include <gtest/gtest.h>

#include <string>

#include "ipw/agent/agent_data.h"
#include "ipw/agent/calculator.h"
#include "ipw/agent/units.h"

namespace ipw::agent {
namespace {

TEST(AgentCalculator, PrecedenceAssociativityAndSigns) {
  EXPECT_DOUBLE_EQ(*calculate("2 + 3 * 4"), 14);
  EXPECT_DOUBLE_EQ(*calculate("(2 + 3) * 4"), 20);
  EXPECT_DOUBLE_EQ(*calculate("2 ^ 3 ^ 2"), 512);  // right-associative
  EXPECT_DOUBLE_EQ(*calculate("-2 ^ 2"), -4);       // as in mathematics: -(2^2)
  EXPECT_DOUBLE_EQ(*calculate("2 ^ -1"), 0.5);
  EXPECT_DOUBLE_EQ(*calculate("10 - 4 - 3"), 3);    // left-associative
  EXPECT_DOUBLE_EQ(*calculate("7 / 2"), 3.5);
  EXPECT_DOUBLE_EQ(*calculate("1,000 * 1.5e3"), 1.5e6);
  EXPECT_DOUBLE_EQ(*calculate(" --3 "), 3);
}

TEST(AgentCalculator, ErrorsSayWhatAndWhere) {
  EXPECT_EQ(calculate("2 + ").error(), "expected a number at the end");
  EXPECT_EQ(calculate("(1 + 2").error(), "expected ')' at the end");
  EXPECT_EQ(calculate("1 + 2)").error(), "unexpected ')' at 6");
  EXPECT_EQ(calculate("4 / (2 - 2)").error(), "division by zero at the end");
  EXPECT_EQ(calculate("2 * x").error(), "unexpected 'x' at 5");
  EXPECT_EQ(calculate("system('ls')").error(), "unexpected 's' at 1");
  EXPECT_EQ(calculate("10 ^ 400").error(), "the result is not a finite number");
  EXPECT_FALSE(calculate(std::string(100000, '(')));  // nesting is bounded, not a stack overflow
}

TEST(AgentUnits, ConvertsWithinAQuantity) {
  EXPECT_NEAR(*convert_units(1, "mile", "km"), 1.609344, 1e-12);
  EXPECT_NEAR(*convert_units(100, "C", "F"), 212, 1e-9);
  EXPECT_NEAR(*convert_units(32, "Fahrenheit", "kelvin"), 273.15, 1e-9);
  EXPECT_NEAR(*convert_units(1, "kWh", "J"), 3.6e6, 1e-6);
  EXPECT_NEAR(*convert_units(36, "km/h", "m/s"), 10, 1e-12);
  EXPECT_NEAR(*convert_units(2, " Pounds ", "g"), 907.18474, 1e-9);
}

TEST(AgentUnits, RefusesUnknownUnitsAndMixedQuantities) {
  EXPECT_EQ(convert_units(1, "furlong", "m").error(), "unknown unit 'furlong'");
  EXPECT_EQ(convert_units(1, "kg", "m").error(), "cannot convert kg (mass) to m (length)");
}

TEST(AgentToolBox, AnswersEveryCallWithAResultOrAnError) {
  const ToolBox tools(nlohmann::json{{"Pool length", "50 m"}, {"lanes", 8}});
  EXPECT_EQ(tools.call("calculator", R"({"expression": "50 * 8"})"), "400");
  EXPECT_EQ(tools.call("convert_units", R"({"value": 50, "from": "m", "to": "ft"})"), "164.0419948");
  EXPECT_EQ(tools.call("convert_units", R"({"value": "2.5", "from": "h", "to": "min"})"), "150");
  EXPECT_EQ(tools.call("lookup", R"({"key": "pool LENGTH"})"), "50 m");
  EXPECT_EQ(tools.call("lookup", R"({"key": "lanes"})"), "8");
  EXPECT_EQ(tools.call("lookup", R"({"key": "depth"})"), "error: no entry 'depth'; the entries are: Pool length, lanes");
  EXPECT_EQ(tools.call("shell", R"({"cmd": "rm -rf /"})"),
            "error: no tool 'shell'; the tools are calculator, convert_units, lookup");
  EXPECT_EQ(tools.call("calculator", "{not json"), "error: the arguments are not a JSON object");
  EXPECT_EQ(tools.call("calculator", R"({"expr": "1"})"), "error: calculator needs \"expression\", a string");
  EXPECT_EQ(tools.call("calculator", R"({"expression": "1/0"})"), "error: division by zero at the end");
  const auto spec = tools.openai_tools();
  ASSERT_EQ(spec.size(), 3u);
  EXPECT_EQ(spec[0]["function"]["name"], "calculator");
  EXPECT_EQ(spec[1]["function"]["parameters"]["required"], nlohmann::json({"value", "from", "to"}));
  EXPECT_THROW(ToolBox(nlohmann::json::array()), std::invalid_argument);
}

// The built-in task set asks only for what its knowledge file holds: every fact a
// prompt names by its entry is an entry.
TEST(AgentToolBox, TheBuiltInTasksAndKnowledgeAreEmbedded) {
  const nlohmann::json k = builtin_knowledge();
  EXPECT_GE(k.size(), 20u);
  std::size_t tasks = 0;
  const auto content = find_embedded(agent_files(), "tasks.jsonl");
  ASSERT_TRUE(content);
  for (std::size_t at = 0; (at = content->find("\"id\"", at)) != std::string_view::npos; ++at) ++tasks;
  EXPECT_GE(tasks, 24u);
}

}  // namespace
}  // namespace ipw::agent
