// OpenAI-compatible client specifics: the request it sends and the SSE fields it reads.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "inference_test_server.h"
#include "ipw/inference/client.h"

namespace ipw::inference {
namespace {

using nlohmann::json;
using testing::Script;
using testing::TestServer;

ClientOptions options(const std::string& base_url) {
  ClientOptions o;
  o.base_url = base_url;
  o.api_key = "sk-secret";
  o.connect_timeout_s = 2;
  o.first_token_timeout_s = 2;
  o.total_timeout_s = 4;
  return o;
}

Script sse(std::vector<std::string> events) {
  Script s;
  for (auto& e : events) s.steps.push_back({5, "data: " + e + "\n\n"});
  return s;
}

TEST(InferenceOpenAi, SendsStreamingChatRequestWithDecodingParameters) {
  TestServer server;
  server.set_script(sse({R"({"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]})",
                         "[DONE]"}));
  auto client = make_client("openai", options(server.base_url() + "/v1/"));  // /v1 tolerated
  Request req;
  req.model = "qwen3";
  req.prompt = "What is 2+2?";
  req.max_tokens = 64;
  req.temperature = 0.6;
  req.top_p = 0.95;
  req.top_k = 20;
  req.seed = 1234;
  auto result = client->complete(req);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text, "hi");
  EXPECT_FALSE(result->input_tokens.has_value());  // no usage chunk: unknown, not 0

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v1/chat/completions");
  EXPECT_EQ(reqs[0].authorization, "Bearer sk-secret");
  const json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["model"], "qwen3");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"What is 2+2?"}])"));
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(body["top_p"].get<double>(), 0.95);
  EXPECT_EQ(body["top_k"], 20);
  EXPECT_EQ(body["seed"], 1234);
}

TEST(InferenceOpenAi, CompletionEndpointReadsChoiceText) {
  TestServer server;
  server.set_script(sse({R"({"choices":[{"index":0,"text":"Par"}]})",
                         R"({"choices":[{"index":0,"text":"is","finish_reason":"length"}]})",
                         R"({"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}})",
                         "[DONE]"}));
  auto client = make_client("openai", options(server.base_url()));
  Request req;
  req.chat = false;
  req.prompt = "The capital of France is";
  req.top_k = 0;  // not sent
  auto result = client->complete(req);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text, "Paris");
  EXPECT_EQ(result->finish_reason, "length");
  EXPECT_EQ(result->input_tokens, 4);
  EXPECT_EQ(result->output_tokens, 2);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v1/completions");
  const json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["prompt"], "The capital of France is");
  EXPECT_FALSE(body.contains("messages"));
  EXPECT_FALSE(body.contains("top_k"));
  EXPECT_FALSE(body.contains("seed"));
}

TEST(InferenceOpenAi, ReasoningCountsAsTokensButStaysOutOfText) {
  TestServer server;
  server.set_script(sse({
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",  // not a token
      R"({"choices":[{"index":0,"delta":{"reasoning_content":"Let me think."}}]})",
      R"({"choices":[{"index":0,"delta":{"reasoning":" Done."}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"4"}}]})",
      R"({"choices":[{"index":1,"delta":{"content":"other choice"}}]})",  // ignored
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"timings":{"prompt_n":9,"predicted_ms":12.5}})",
      "[DONE]",
  }));
  auto client = make_client("openai", options(server.base_url()));
  auto result = client->complete(Request{});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->text, "4");
  EXPECT_EQ(result->reasoning, "Let me think. Done.");
  ASSERT_EQ(result->token_times_ns.size(), 3u);
  EXPECT_EQ(result->t_first_token_ns, result->token_times_ns.front());
  EXPECT_LT(result->token_times_ns.front(), result->token_times_ns.back());
  EXPECT_EQ(result->server_timings["prompt_n"], 9);
  EXPECT_DOUBLE_EQ(result->server_timings["predicted_ms"].get<double>(), 12.5);
}

TEST(InferenceOpenAi, KeepAliveCommentsAreNotTokens) {
  TestServer server;
  Script s;
  s.steps = {{0, ": keep-alive\n\n"}};
  s.repeat_last_ms = 20;
  server.set_script(s);
  auto opts = options(server.base_url());
  opts.first_token_timeout_s = 0.2;
  auto client = make_client("openai", opts);
  auto result = client->complete(Request{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::timeout_first_token);
  EXPECT_EQ(result.error().partial.t_first_token_ns, 0);
  EXPECT_GT(result.error().partial.t_last_byte_ns, result.error().partial.t_send_ns);
}

TEST(InferenceOpenAi, ErrorEventIsProtocolFailure) {
  TestServer server;
  Script s;
  s.steps = {{0, "event: error\ndata: {\"message\":\"context length exceeded\"}\n\n"}};
  server.set_script(s);
  auto client = make_client("openai", options(server.base_url()));
  auto result = client->complete(Request{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::protocol);
  EXPECT_NE(result.error().message.find("context length exceeded"), std::string::npos);
}

TEST(InferenceOpenAi, NonStreamBodyIsProtocolFailureQuotingIt) {
  TestServer server;
  Script s;
  s.content_type = "text/html";
  s.steps = {{0, "<html><body>Welcome to nginx</body></html>"}};
  server.set_script(s);
  auto client = make_client("openai", options(server.base_url()));
  auto result = client->complete(Request{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::protocol);
  EXPECT_NE(result.error().message.find("Welcome to nginx"), std::string::npos)
      << result.error().message;
}

TEST(InferenceOpenAi, ApiKeyNeverAppearsInMessages) {
  auto opts = options("http://user:pw@127.0.0.1:" + std::to_string(testing::refused_port()));
  auto client = make_client("openai", opts);
  auto result = client->complete(Request{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message.find("sk-secret"), std::string::npos);
  EXPECT_EQ(result.error().message.find("pw@"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("***@127.0.0.1"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace ipw::inference
