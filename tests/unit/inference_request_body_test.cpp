// The request bodies both clients send for the request settings (docs/clients.md,
// "What is sent"): only what was set, --extra-body merged last and refused where it
// would silently replace a value ipw sets.
#include <gtest/gtest.h>

#include "ipw/common/usage_error.h"
#include "ipw/inference/client.h"

namespace ipw::inference {
namespace {

Request settings() {
  Request r;
  r.model = "m";
  r.prompt = "What is 2+2?";
  r.system_prompt = "Be brief.";
  r.stop = {"STOP"};
  r.min_p = 0.0;
  r.chat_template_kwargs = {{"enable_thinking", true}};
  return r;
}

TEST(RequestBody, NothingUnsetIsSent) {
  Request r;
  r.model = "m";
  r.prompt = "p";
  for (const char* api : {"openai", "ollama"}) {
    const auto body = request_body(api, r);
    const auto& where = std::string(api) == "openai" ? body : body["options"];
    for (const char* key : {"max_tokens", "num_predict", "stop", "min_p", "chat_template_kwargs", "think"}) {
      EXPECT_FALSE(where.contains(key)) << api << " " << key << ": " << body.dump();
    }
    EXPECT_EQ(body["messages"].size(), 1u) << api;
  }
}

TEST(RequestBody, OpenAiCarriesEverySetting) {
  Request r = settings();
  r.reasoning_effort = "high";
  r.max_tokens = 100;
  const auto body = request_body("openai", r);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "What is 2+2?");
  EXPECT_EQ(body["stop"], nlohmann::json::array({"STOP"}));
  EXPECT_EQ(body["min_p"], 0.0);
  EXPECT_EQ(body["chat_template_kwargs"]["enable_thinking"], true);
  EXPECT_EQ(body["reasoning_effort"], "high");
  EXPECT_EQ(body["max_tokens"], 100);
  r.chat = false;
  EXPECT_EQ(request_body("openai", r)["prompt"], "Be brief.\n\nWhat is 2+2?");
}

TEST(RequestBody, OllamaGetsTheEquivalents) {
  Request r = settings();
  auto body = request_body("ollama", r);
  EXPECT_EQ(body["messages"][0]["content"], "Be brief.");
  EXPECT_EQ(body["options"]["stop"], nlohmann::json::array({"STOP"}));
  EXPECT_EQ(body["think"], true);
  r.reasoning_effort = "low";  // a level wins over the boolean
  EXPECT_EQ(request_body("ollama", r)["think"], "low");
  r.chat_template_kwargs = {{"custom", 1}};
  EXPECT_THROW(request_body("ollama", r), UsageError);
}

// A conversation's earlier turns (WildChat items) go before the prompt, after the
// system prompt; the completion endpoints get them as lines of text.
TEST(RequestBody, ContextTurnsPrecedeThePrompt) {
  Request r = settings();
  r.context = {{"user", "Bonjour !"}, {"assistant", "Bonjour ! Comment puis-je vous aider ?"}};
  for (const char* api : {"openai", "ollama"}) {
    const auto messages = request_body(api, r)["messages"];
    ASSERT_EQ(messages.size(), 4u) << api;
    EXPECT_EQ(messages[0]["role"], "system");
    EXPECT_EQ(messages[1], nlohmann::json({{"role", "user"}, {"content", "Bonjour !"}}));
    EXPECT_EQ(messages[2]["role"], "assistant");
    EXPECT_EQ(messages[3]["content"], "What is 2+2?");
  }
  r.chat = false;
  EXPECT_EQ(request_body("openai", r)["prompt"],
            "Be brief.\n\nuser: Bonjour !\n\nassistant: Bonjour ! Comment puis-je vous aider ?\n\nWhat is 2+2?");
  const auto ollama = request_body("ollama", r);
  EXPECT_EQ(ollama["system"], "Be brief.");
  EXPECT_EQ(ollama["prompt"], "user: Bonjour !\n\nassistant: Bonjour ! Comment puis-je vous aider ?\n\nWhat is 2+2?");
}

TEST(RequestBody, ExtraBodyCannotSilentlyReplaceWhatIpwSets) {
  Request r = settings();
  r.extra_body = {{"repetition_penalty", 1.1}, {"temperature", 1.0}, {"stop", nullptr}};
  try {
    (void)request_body("openai", r);
    FAIL() << "a colliding --extra-body was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--extra-body sets stop, temperature"), std::string::npos) << e.what();
  }
  r.extra_body_override = true;
  const auto body = request_body("openai", r);
  EXPECT_EQ(body["temperature"], 1.0);
  EXPECT_EQ(body["repetition_penalty"], 1.1);
  EXPECT_TRUE(body["stop"].is_null());
}

}  // namespace
}  // namespace ipw::inference
