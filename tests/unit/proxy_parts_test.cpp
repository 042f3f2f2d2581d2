// The parts of `ipw proxy` that are pure functions: tasks and turns, the usage request
// and what it adds to a stream, and reading replies the proxy did not ask for.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "ipw/inference/reply_reader.h"
#include "ipw/proxy/task_book.h"
#include "ipw/proxy/usage_request.h"

namespace ipw::proxy {
namespace {

using nlohmann::json;

TEST(ProxyTaskBook, HeaderThenUserThenATaskOfItsOwnWithTurnsInArrivalOrder) {
  TaskBook book;
  EXPECT_EQ(book.assign("t1", "alice", 0).task, "t1");  // the header wins
  EXPECT_EQ(book.assign("", "alice", 1).task, "alice");
  const auto own = book.assign("", "", 2);
  EXPECT_EQ(own.task, "request-2");
  EXPECT_EQ(own.turn, 1);
  EXPECT_EQ(book.assign("t1", "", 3).turn, 2);
  EXPECT_EQ(book.assign("alice", "", 4).turn, 2);  // the same task however it was named
  EXPECT_EQ(book.tasks(), 3u);
}

TEST(ProxyUsageRequest, OnlyStreamsThatDidNotAskGetTheOption) {
  const std::string body = R"({"stream":true,"model":"m","messages":[]})";
  const auto asked = with_usage_requested(json::parse(body), body);
  ASSERT_TRUE(asked);
  EXPECT_EQ(*asked, R"({"stream":true,"model":"m","messages":[],"stream_options":{"include_usage":true}})");
  const std::string plain = R"({"stream":false,"messages":[]})";
  EXPECT_FALSE(with_usage_requested(json::parse(plain), plain));
  const std::string own = R"({"stream":true,"stream_options":{"include_usage":true}})";
  EXPECT_FALSE(with_usage_requested(json::parse(own), own));
  const std::string other = R"({"stream":true,"stream_options":{"continuous_usage_stats":false}})";
  EXPECT_EQ(*with_usage_requested(json::parse(other), other),
            R"({"stream":true,"stream_options":{"continuous_usage_stats":false,"include_usage":true}})");
}

TEST(ProxyUsageRequest, TheFilterTakesOutWhatTheOptionAddedAndNothingElse) {
  const std::string a = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n";
  const std::string b = "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  const std::string u = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n";
  const std::string done = "data: [DONE]\n\n";
  const std::string stream = a + b + u + done;
  UsageChunkFilter f;
  std::string out;
  for (std::size_t i = 0; i < stream.size(); i += 7) out += f.feed(stream.substr(i, 7));  // split anywhere
  out += f.finish();
  EXPECT_EQ(out, "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n" + b + done);
}

TEST(ProxyReplyReader, CountsToolCallsInWholeAndStreamedReplies) {
  using inference::ReplyReader;
  using inference::WireApi;
  {
    ReplyReader r(WireApi::openai_chat, false);
    r.on_bytes(R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"a"},{"id":"b"}]},)"
               R"("finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":4}})",
               100);
    EXPECT_EQ(r.on_end(200), "");
    EXPECT_EQ(r.tool_calls(), 2);
    EXPECT_EQ(r.response().finish_reason, "tool_calls");
    EXPECT_EQ(r.response().input_tokens, 9);
    EXPECT_EQ(r.response().t_first_token_ns, 0);  // not observable in a whole reply
  }
  {
    ReplyReader r(WireApi::openai_chat, true);
    const std::string call0 =
        R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":""}}]}}]})";
    const std::string call0_more =
        R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]})";
    const std::string call1 =
        R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"name":"g","arguments":"{}"}}]}}]})";
    const std::string end = R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})";
    r.on_bytes(call0 + "\n\n" + call0_more + "\n\n" + call1 + "\n\n" + end + "\n\ndata: [DONE]\n\n", 100);
    EXPECT_EQ(r.on_end(200), "");
    EXPECT_EQ(r.tool_calls(), 2);  // by index, not by chunk
  }
  {
    ReplyReader r(WireApi::ollama_chat, true);
    r.on_bytes(R"({"message":{"role":"assistant","content":""},"done":false})" "\n", 100);
    r.on_bytes(R"({"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f"}}]},)"
               R"("done":true,"done_reason":"stop","prompt_eval_count":5,"eval_count":2})" "\n",
               150);
    EXPECT_EQ(r.on_end(200), "");
    EXPECT_EQ(r.tool_calls(), 1);
    EXPECT_EQ(r.response().output_tokens, 2);
  }
}

TEST(ProxyReplyReader, CompletionPathsAndOthers) {
  using inference::WireApi;
  EXPECT_EQ(inference::completion_api("/v1/chat/completions"), WireApi::openai_chat);
  EXPECT_EQ(inference::completion_api("/v1/completions?x=1"), WireApi::openai_completions);
  EXPECT_EQ(inference::completion_api("/api/generate"), WireApi::ollama_generate);
  EXPECT_FALSE(inference::completion_api("/v1/models"));
  EXPECT_FALSE(inference::completion_api("/v1/embeddings"));
}

}  // namespace
}  // namespace ipw::proxy
