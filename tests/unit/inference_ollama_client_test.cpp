// Ollama client specifics: the request it sends and the NDJSON fields it reads.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "inference_test_server.h"
#include "ipw/inference/client.h"

namespace ipw::inference {
namespace {

using nlohmann::json;
using testing::Script;
using testing::TestServer;

ClientOptions ollama_options(const std::string& base_url) {
  ClientOptions o;
  o.base_url = base_url;
  o.connect_timeout_s = 2;
  o.first_token_timeout_s = 2;
  o.total_timeout_s = 4;
  return o;
}

Script ndjson(std::vector<std::string> lines) {
  Script s;
  s.content_type = "application/x-ndjson";
  for (auto& l : lines) s.steps.push_back({5, l + "\n"});
  return s;
}

const char* kFinal =
    R"({"model":"m","done":true,"done_reason":"stop","total_duration":5000000,"load_duration":100,)"
    R"("prompt_eval_count":12,"prompt_eval_duration":2000000,"eval_count":2,"eval_duration":2500000})";

TEST(InferenceOllama, ChatSendsOptionsAndReadsUsageAndDurations) {
  TestServer server;
  server.set_script(ndjson({R"({"message":{"role":"assistant","content":"Hel"},"done":false})",
                            R"({"message":{"role":"assistant","content":"lo"},"done":false})",
                            kFinal}));
  auto client = make_client("ollama", ollama_options(server.base_url() + "/"));
  Request req;
  req.model = "llama3.2:1b";
  req.prompt = "Greet me";
  req.max_tokens = 100;
  req.top_k = 20;
  req.seed = 99;
  auto result = client->complete(req);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text, "Hello");
  EXPECT_EQ(result->token_times_ns.size(), 2u);
  EXPECT_EQ(result->input_tokens, 12);
  EXPECT_EQ(result->output_tokens, 2);
  EXPECT_EQ(result->finish_reason, "stop");
  EXPECT_EQ(result->server_timings["total_duration_ns"], 5000000);
  EXPECT_EQ(result->server_timings["prompt_eval_duration_ns"], 2000000);
  EXPECT_EQ(result->server_timings["eval_duration_ns"], 2500000);
  EXPECT_EQ(result->server_timings["load_duration_ns"], 100);
  EXPECT_EQ(result->server_timings["eval_count"], 2);

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/api/chat");
  EXPECT_TRUE(reqs[0].authorization.empty());  // no key configured, none sent
  const json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["model"], "llama3.2:1b");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"Greet me"}])"));
  EXPECT_EQ(body["options"]["num_predict"], 100);
  EXPECT_EQ(body["options"]["top_k"], 20);
  EXPECT_EQ(body["options"]["seed"], 99);
  EXPECT_DOUBLE_EQ(body["options"]["temperature"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(body["options"]["top_p"].get<double>(), 0.95);
}

TEST(InferenceOllama, GenerateReadsResponseAndThinking) {
  TestServer server;
  server.set_script(ndjson({R"({"thinking":"hmm","response":"","done":false})",
                            R"({"response":"42","done":false})", kFinal}));
  auto client = make_client("ollama", ollama_options(server.base_url()));
  Request req;
  req.chat = false;
  req.prompt = "6*7=";
  auto result = client->complete(req);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text, "42");
  EXPECT_EQ(result->reasoning, "hmm");
  EXPECT_EQ(result->token_times_ns.size(), 2u);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/api/generate");
  EXPECT_EQ(json::parse(reqs[0].body)["prompt"], "6*7=");
}

TEST(InferenceOllama, MissingPromptEvalCountIsUnknownNotZero) {
  TestServer server;
  server.set_script(ndjson({R"({"message":{"content":"a"},"done":false})",
                            R"({"done":true,"eval_count":1})"}));
  auto client = make_client("ollama", ollama_options(server.base_url()));
  auto result = client->complete(Request{});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->input_tokens.has_value());
  EXPECT_EQ(result->output_tokens, 1);
}

TEST(InferenceOllama, MalformedLineNamesItsLineNumber) {
  TestServer server;
  server.set_script(ndjson({R"({"message":{"content":"a"},"done":false})", "{oops", kFinal}));
  auto client = make_client("ollama", ollama_options(server.base_url()));
  auto result = client->complete(Request{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::protocol);
  EXPECT_NE(result.error().message.find("line 2"), std::string::npos) << result.error().message;
}

TEST(InferenceOllama, ModelNotFoundIsHttpStatusWithServerMessage) {
  TestServer server;
  Script s;
  s.status = 404;
  s.content_type = "application/json";
  s.steps = {{0, R"({"error":"model 'nope' not found, try pulling it first"})"}};
  server.set_script(s);
  auto client = make_client("ollama", ollama_options(server.base_url()));
  auto result = client->complete(Request{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::http_status);
  EXPECT_EQ(result.error().http_status, 404);
  EXPECT_NE(result.error().message.find("not found"), std::string::npos);
}

}  // namespace
}  // namespace ipw::inference
