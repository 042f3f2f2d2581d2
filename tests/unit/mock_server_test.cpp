// Drives the built ipw-mock-server binary over HTTP: routes, streaming formats,
// pacing, usage counts, fault injection and clean shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <nlohmann/json.hpp>

#include "ipw/workload/dataset.h"
#include "mock_server_process.h"

namespace ipw::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

const std::string kAnswers = std::string(IPW_SOURCE_DIR) + "/tests/fixtures/mock/answers.jsonl";

struct Streamed {
  std::string body;
  bool ok = false;  // the transfer completed (no dropped connection)
  int status = 0;
  double first_byte_ms = -1;
  double first_content_ms = -1;  // first chunk carrying answer text
  double last_byte_ms = -1;
};

// POSTs and records when bytes arrive, reading the body incrementally.
// `marker`: text whose first arrival sets first_content_ms (e.g. the first piece).
Streamed post_streaming(int port, const std::string& path, const json& body, const std::string& marker = "\"one\"") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(10, 0);
  Streamed s;
  const auto t0 = Clock::now();
  auto ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, std::size_t n, uint64_t, uint64_t) {
    if (s.first_byte_ms < 0) s.first_byte_ms = ms();
    s.body.append(data, n);
    if (s.first_content_ms < 0 && s.body.find(marker) != std::string::npos) {
      s.first_content_ms = ms();
    }
    s.last_byte_ms = ms();
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  s.ok = cli.send(req, res, err);
  s.status = res.status;
  return s;
}

// The JSON payloads of an SSE body ("data: {…}" events, [DONE] excluded).
std::vector<json> sse_events(const std::string& body, bool* saw_done = nullptr) {
  std::vector<json> events;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const std::size_t end = body.find("\n\n", pos);
    const std::string payload = body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (payload == "[DONE]") {
      if (saw_done) *saw_done = true;
      continue;
    }
    events.push_back(json::parse(payload));
  }
  return events;
}

std::vector<json> ndjson_lines(const std::string& body) {
  std::vector<json> lines;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    if (end > pos) lines.push_back(json::parse(body.substr(pos, end - pos)));
    pos = end + 1;
  }
  return lines;
}

json chat_body(const std::string& user_text, bool stream) {
  return {{"model", "test-model"},
          {"stream", stream},
          {"messages",
           {{{"role", "system"}, {"content", "count to five (system text is not matched)"}},
            {{"role", "user"}, {"content", user_text}}}}};
}

class MockServer : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args) {
    args.insert(args.begin(), {"--port", "0", "--answers", kAnswers});
    server_ = std::make_unique<MockServerProcess>(args);
    port_ = server_->wait_for_port();
    ASSERT_GT(port_, 0) << "no 'listening on' line; stderr: " << server_->stderr_text();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->terminate(), 0) << "the server did not exit cleanly on SIGTERM";
    }
  }
  std::unique_ptr<MockServerProcess> server_;
  int port_ = -1;
};

TEST_F(MockServer, PrintsListeningLineAndServesMetadataRoutes) {
  start({});
  EXPECT_EQ(server_->first_line(), "listening on http://127.0.0.1:" + std::to_string(port_));
  httplib::Client cli("127.0.0.1", port_);
  auto health = cli.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto models = cli.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "ipw-mock");
  auto tags = cli.Get("/api/tags");
  ASSERT_TRUE(tags);
  EXPECT_EQ(json::parse(tags->body)["models"][0]["name"], "ipw-mock");
}

TEST_F(MockServer, VerboseLogsEveryRequestGetsIncluded) {
  start({"--verbose"});
  httplib::Client cli("127.0.0.1", port_);
  ASSERT_TRUE(cli.Get("/v1/models"));
  ASSERT_TRUE(cli.Post("/v1/chat/completions", chat_body("count to five", false).dump(), "application/json"));
  std::string log;
  for (int i = 0; i < 50 && (log.find("GET /v1/models") == std::string::npos ||
                             log.find("POST /v1/chat/completions") == std::string::npos);
       ++i) {
    log += server_->stderr_text();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(log, HasSubstr("mock: GET /v1/models"));
  EXPECT_THAT(log, HasSubstr("mock: POST /v1/chat/completions"));
}

TEST_F(MockServer, OpenAiChatStreamsOnePiecePerChunkAtTheConfiguredPace) {
  start({"--ttft-ms", "150", "--tokens-per-s", "20"});
  json body = chat_body("Please count to five.", true);
  body["stream_options"] = {{"include_usage", true}};
  // What is sent holds on every try; the pace on one of three. The mock's sleeps are
  // scheduled from the request, so on a loaded machine a late first token (209 ms
  // seen for 150) shortens the gaps after it, and the client's stamps are late too.
  bool paced = false;
  for (int attempt = 0; attempt < 3 && !paced; ++attempt) {
    Streamed s = post_streaming(port_, "/v1/chat/completions", body);
    ASSERT_TRUE(s.ok);
    EXPECT_EQ(s.status, 200);
    bool done = false;
    std::vector<json> events = sse_events(s.body, &done);
    EXPECT_TRUE(done);
    std::vector<std::string> pieces;
    for (const json& e : events) {
      if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content") &&
          !e["choices"][0]["delta"]["content"].get<std::string>().empty()) {
        pieces.push_back(e["choices"][0]["delta"]["content"]);
      }
    }
    EXPECT_THAT(pieces, ::testing::ElementsAre("one", " two", " three", " four", " five"));
    const json& last = events.back();
    EXPECT_TRUE(last["choices"].empty());
    EXPECT_EQ(last["usage"]["completion_tokens"], 5);
    EXPECT_EQ(last["usage"]["prompt_tokens"], 4);  // "Please count to five."
    EXPECT_EQ(last["timings"]["predicted_n"], 5);
    EXPECT_EQ(events[events.size() - 2]["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(events.front()["model"], "test-model");
    // An upper bound only catches a server stuck for seconds; it is generous because a
    // loaded, sanitised machine stretches every sleep (2.3 s seen beside the stress runs).
    EXPECT_LT(s.last_byte_ms, 5000.0);
    // First token after --ttft-ms; the four gaps after it at 20 tokens/s take 200 ms.
    paced = s.first_content_ms >= 140.0 && s.last_byte_ms - s.first_content_ms >= 180.0 &&
            std::abs(last["timings"]["prompt_ms"].get<double>() - 150.0) <= 50.0 &&
            std::abs(last["timings"]["predicted_ms"].get<double>() - 200.0) <= 60.0;
  }
  EXPECT_TRUE(paced) << "no try kept the configured pace (150 ms to the first token, 50 ms a token)";
}

TEST_F(MockServer, UsageChunkOnlyWhenAskedFor) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0"});
  Streamed s = post_streaming(port_, "/v1/chat/completions", chat_body("count to five", true));
  ASSERT_TRUE(s.ok);
  for (const json& e : sse_events(s.body)) EXPECT_FALSE(e.contains("usage"));
}

TEST_F(MockServer, OpenAiCompletionsAndNonStreamingChat) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0"});
  Streamed s = post_streaming(port_, "/v1/completions", {{"prompt", "Q: What is 6 times 7?"}, {"stream", true}});
  ASSERT_TRUE(s.ok);
  std::string text;
  for (const json& e : sse_events(s.body)) {
    if (!e["choices"].empty()) text += e["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, "6 times 7 is 42.\nAnswer: 42");  // pieces keep the original whitespace

  httplib::Client cli("127.0.0.1", port_);
  auto res =
      cli.Post("/v1/chat/completions", chat_body("What is the capital of France?", false).dump(), "application/json");
  ASSERT_TRUE(res);
  json j = json::parse(res->body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "The answer is Paris.");
  EXPECT_EQ(j["usage"]["completion_tokens"], 4);
  EXPECT_EQ(j["object"], "chat.completion");
}

TEST_F(MockServer, UnmatchedPromptGetsTheFixedSentence) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0"});
  httplib::Client cli("127.0.0.1", port_);
  auto res = cli.Post("/v1/chat/completions", chat_body("Something else entirely", false).dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_THAT(json::parse(res->body)["choices"][0]["message"]["content"].get<std::string>(),
              HasSubstr("scripted reply"));
}

TEST_F(MockServer, OllamaChatAndGenerateStreamNdjsonWithCounts) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0"});
  // Ollama streams by default.
  Streamed chat = post_streaming(
      port_, "/api/chat", {{"model", "llama3.2:1b"}, {"messages", {{{"role", "user"}, {"content", "count to five"}}}}});
  ASSERT_TRUE(chat.ok);
  std::vector<json> lines = ndjson_lines(chat.body);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1]["message"]["content"], " two");
  EXPECT_FALSE(lines[4]["done"]);
  EXPECT_TRUE(lines[5]["done"]);
  EXPECT_EQ(lines[5]["eval_count"], 5);
  EXPECT_EQ(lines[5]["prompt_eval_count"], 3);
  EXPECT_EQ(lines[5]["done_reason"], "stop");
  EXPECT_EQ(lines[5]["model"], "llama3.2:1b");

  Streamed gen =
      post_streaming(port_, "/api/generate", {{"prompt", "count to five"}, {"options", {{"num_predict", 2}}}});
  ASSERT_TRUE(gen.ok);
  lines = ndjson_lines(gen.body);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["response"], "one");
  EXPECT_EQ(lines[2]["eval_count"], 2);
  EXPECT_EQ(lines[2]["done_reason"], "length");  // num_predict cut the answer

  httplib::Client cli("127.0.0.1", port_);
  auto whole =
      cli.Post("/api/generate", json{{"prompt", "count to five"}, {"stream", false}}.dump(), "application/json");
  ASSERT_TRUE(whole);
  EXPECT_EQ(json::parse(whole->body)["response"], "one two three four five");
}

TEST_F(MockServer, MaxTokensTruncatesWithFinishReasonLength) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0"});
  json body = chat_body("count to five", false);
  body["max_tokens"] = 3;
  httplib::Client cli("127.0.0.1", port_);
  auto res = cli.Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(res);
  json j = json::parse(res->body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "one two three");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 3);
}

TEST_F(MockServer, BadRequestsGet400WithAMessage) {
  start({});
  httplib::Client cli("127.0.0.1", port_);
  auto not_json = cli.Post("/v1/chat/completions", "{nope", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  auto no_user =
      cli.Post("/v1/chat/completions", R"({"messages":[{"role":"system","content":"x"}]})", "application/json");
  ASSERT_TRUE(no_user);
  EXPECT_EQ(no_user->status, 400);
  EXPECT_THAT(no_user->body, HasSubstr("no user message"));
}

TEST_F(MockServer, FailEveryNthCompletionRequest) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0", "--fail-every", "3", "--fail-status", "503"});
  httplib::Client cli("127.0.0.1", port_);
  std::vector<int> statuses;
  for (int i = 0; i < 7; ++i) {
    // Non-completion routes do not count towards --fail-every.
    ASSERT_TRUE(cli.Get("/health"));
    auto res = cli.Post("/v1/chat/completions", chat_body("count to five", false).dump(), "application/json");
    ASSERT_TRUE(res);
    statuses.push_back(res->status);
  }
  EXPECT_THAT(statuses, ::testing::ElementsAre(200, 200, 503, 200, 200, 503, 200));
  auto res = cli.Post("/api/chat", json{{"stream", false}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}.dump(),
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);  // the 8th
  res = cli.Post("/api/generate", json{{"prompt", "x"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);  // the 9th, in Ollama's error shape
  EXPECT_THAT(json::parse(res->body)["error"].get<std::string>(), HasSubstr("injected failure"));
}

TEST_F(MockServer, DropAfterTokensClosesTheConnectionMidStream) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0", "--drop-after-tokens", "2"});
  Streamed s = post_streaming(port_, "/v1/chat/completions", chat_body("count to five", true));
  EXPECT_FALSE(s.ok) << "the transfer must fail, not end normally";
  EXPECT_THAT(s.body, HasSubstr("\"content\":\" two\""));
  EXPECT_THAT(s.body, ::testing::Not(HasSubstr(" three")));
  EXPECT_THAT(s.body, ::testing::Not(HasSubstr("[DONE]")));

  Streamed ollama =
      post_streaming(port_, "/api/chat", {{"messages", {{{"role", "user"}, {"content", "count to five"}}}}});
  EXPECT_FALSE(ollama.ok);
  EXPECT_THAT(ollama.body, ::testing::Not(HasSubstr("\"done\":true")));

  httplib::Client cli("127.0.0.1", port_);
  auto whole = cli.Post("/v1/chat/completions", chat_body("count to five", false).dump(), "application/json");
  EXPECT_FALSE(whole) << "a non-streamed reply is cut short too";
}

TEST_F(MockServer, BurnKeepsTheCpuBusy) {
  start({"--ttft-ms", "0", "--tokens-per-s", "0", "--burn-us-per-token", "40000"});
  const double cpu_before_s = server_->cpu_seconds();
  Streamed s = post_streaming(port_, "/v1/chat/completions", chat_body("count to five", true));
  ASSERT_TRUE(s.ok);
  // Five pieces x 40 ms of the server thread's CPU time (busy, not sleeping; ticks are 10 ms).
  EXPECT_GE(server_->cpu_seconds() - cpu_before_s, 0.15);
  EXPECT_GE(s.last_byte_ms, 190.0);
}

TEST_F(MockServer, BuiltinWorkloadFilesWorkAsAnswerBooks) {
  const std::string file = std::string(IPW_SOURCE_DIR) + "/data/builtin/geography.jsonl";
  workload::Dataset ds = workload::load_dataset(file);
  server_ = std::make_unique<MockServerProcess>(
      std::vector<std::string>{"--port", "0", "--answers", file, "--ttft-ms", "0", "--tokens-per-s", "0"});
  port_ = server_->wait_for_port();
  ASSERT_GT(port_, 0);
  httplib::Client cli("127.0.0.1", port_);
  for (std::size_t i = 0; i < std::min<std::size_t>(ds.items.size(), 5); ++i) {
    auto res = cli.Post("/v1/chat/completions", chat_body(workload::render_prompt(ds.items[i]), false).dump(),
                        "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(json::parse(res->body)["choices"][0]["message"]["content"], ds.items[i].answer) << ds.items[i].id;
  }
}

TEST(MockServerCli, BadAnswersFileNamesFileAndLine) {
  const std::string bad = std::string(IPW_SOURCE_DIR) + "/tests/fixtures/mock/bad_answers.jsonl";
  MockServerProcess p({"--port", "0", "--answers", bad});
  EXPECT_EQ(p.wait_exit(), 2);
  EXPECT_THAT(p.stderr_text(), HasSubstr("bad_answers.jsonl:2: missing field 'answer'"));
}

TEST(MockServerCli, RejectsBadFlags) {
  MockServerProcess p({"--port", "0", "--fail-status", "200"});
  EXPECT_NE(p.wait_exit(), 0);
  MockServerProcess q({"--port", "0", "--tokens-per-s", "-1"});
  EXPECT_NE(q.wait_exit(), 0);
}

}  // namespace
}  // namespace ipw::testing
