// Both clients against an in-test streaming server: what they assemble, when they
// stamp, what they send, and how each failure is classified. The transport cases run
// for both APIs (parametrised); protocol details have their own tests below.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "inference_test_server.h"
#include "ipw/inference/client.h"
#include "time_units.h"

namespace ipw::inference {
namespace {

using nlohmann::json;
using testing::Script;
using testing::Step;
using testing::TestServer;

// One token chunk in the API's wire format.
std::string token(const std::string& api, const std::string& text) {
  if (api == "openai") {
    return "data: " + json{{"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}}.dump() + "\n\n";
  }
  return json{{"message", {{"role", "assistant"}, {"content", text}}}, {"done", false}}.dump() + "\n";
}

// The closing chunk(s): finish reason, usage, engine timings, end marker.
std::string finale(const std::string& api) {
  if (api == "openai") {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
           "\"timings\":{\"prompt_n\":5,\"prompt_ms\":1.5,\"predicted_n\":3}}\n\n"
           "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\n"
           "data: [DONE]\n\n";
  }
  return "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
         "\"total_duration\":9000,\"load_duration\":100,\"prompt_eval_count\":5,"
         "\"prompt_eval_duration\":2000,\"eval_count\":3,\"eval_duration\":6000}\n";
}

std::string content_type(const std::string& api) {
  return api == "openai" ? "text/event-stream" : "application/x-ndjson";
}

Script stream_of(const std::string& api, const std::vector<std::string>& tokens, int ttft_ms,
                 int gap_ms) {
  Script s;
  s.content_type = content_type(api);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    s.steps.push_back({i == 0 ? ttft_ms : gap_ms, token(api, tokens[i])});
  }
  s.steps.push_back({gap_ms, finale(api)});
  return s;
}

ClientOptions fast_options(const std::string& base_url) {
  ClientOptions o;
  o.base_url = base_url;
  o.connect_timeout_s = 2;
  o.first_token_timeout_s = 2;
  o.total_timeout_s = 4;
  return o;
}

Request simple_request() {
  Request r;
  r.model = "test-model";
  r.prompt = "Say hello";
  r.max_tokens = 32;
  r.seed = 7;
  return r;
}

std::int64_t elapsed_ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
      .count();
}

class InferenceClient : public ::testing::TestWithParam<std::string> {
 protected:
  std::string api() const { return GetParam(); }
  TestServer server_;
};

TEST_P(InferenceClient, AssemblesTextWithMonotonicTokenStamps) {
  server_.set_script(stream_of(api(), {"Hel", "lo", " world"}, 60, 15));
  auto client = make_client(api(), fast_options(server_.base_url()));
  // The stamps are the arrival of the bytes: a loaded machine that keeps this thread
  // off the CPU while the server sends delivers several tokens in one read, stamped
  // together. The contract holds on every try; the spacing on one of three.
  bool spaced = false;
  for (int attempt = 0; attempt < 3 && !spaced; ++attempt) {
    std::vector<std::int64_t> callback_stamps;
    std::string callback_text;
    auto result = client->complete(simple_request(), [&](std::string_view text, std::int64_t t_ns) {
      callback_text += text;
      callback_stamps.push_back(t_ns);
    });
    ASSERT_TRUE(result) << result.error().message;
    const Response& r = *result;
    EXPECT_EQ(r.text, "Hello world");
    EXPECT_EQ(callback_text, "Hello world");
    ASSERT_EQ(r.token_times_ns.size(), 3u);
    EXPECT_EQ(callback_stamps, r.token_times_ns);
    EXPECT_TRUE(std::is_sorted(r.token_times_ns.begin(), r.token_times_ns.end()));
    EXPECT_EQ(r.t_first_token_ns, r.token_times_ns.front());
    EXPECT_LE(r.t_send_ns, r.t_first_token_ns);
    EXPECT_LE(r.token_times_ns.back(), r.t_last_byte_ns);
    EXPECT_EQ(r.input_tokens, 5);
    EXPECT_EQ(r.output_tokens, 3);
    EXPECT_EQ(r.finish_reason, "stop");
    // Stamped on arrival, not when the response completes: the server waited 60 ms
    // before the first token and 15 ms between tokens.
    EXPECT_GE(r.t_first_token_ns - r.t_send_ns, 55 * kMs);  // a late read only adds to it
    spaced = r.token_times_ns[2] - r.token_times_ns[0] >= 25 * kMs &&
             r.t_last_byte_ns - r.token_times_ns.back() >= 10 * kMs;
  }
  EXPECT_TRUE(spaced) << "in 3 tries the tokens never arrived spaced as the server sent them";
}

TEST_P(InferenceClient, StampsComeFromTheInjectedClock) {
  struct OffsetClock final : Clock {
    std::int64_t now_ns() const override { return steady_clock().now_ns() + 1'000'000'000'000'000; }
  } clock;
  server_.set_script(stream_of(api(), {"a"}, 0, 0));
  auto client = make_client(api(), fast_options(server_.base_url()), clock);
  auto result = client->complete(simple_request());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_GE(result->t_send_ns, 1'000'000'000'000'000);
  EXPECT_GE(result->t_first_token_ns, result->t_send_ns);
}

TEST_P(InferenceClient, ServerErrorStatusIsHttpStatusFailure) {
  Script s;
  s.status = 500;
  s.content_type = "application/json";
  s.steps = {{0, "{\"error\": \"model exploded\"}"}};
  server_.set_script(s);
  auto client = make_client(api(), fast_options(server_.base_url()));
  auto result = client->complete(simple_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::http_status);
  EXPECT_EQ(result.error().http_status, 500);
  EXPECT_NE(result.error().message.find("HTTP 500"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("model exploded"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find(server_.base_url()), std::string::npos);
}

TEST_P(InferenceClient, RefusedPortIsConnectFailureNamingTheUrl) {
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::refused_port());
  auto client = make_client(api(), fast_options(url));
  auto result = client->complete(simple_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::connect);
  EXPECT_NE(result.error().message.find(url), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("--server"), std::string::npos) << result.error().message;
  EXPECT_TRUE(result.error().partial.text.empty());
  EXPECT_GE(result.error().partial.t_last_byte_ns, result.error().partial.t_send_ns);
  EXPECT_GT(result.error().partial.t_send_ns, 0);
}

// A server that closes the connection before a byte of reply (a kept-alive connection
// it had just closed): a protocol failure marked no_reply, which the scheduler retries.
// One that closes after its status line did answer: not no_reply.
TEST_P(InferenceClient, ConnectionClosedBeforeAnyReplyIsMarkedNoReply) {
  for (const std::string reply : {"", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n"}) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    std::thread closer([listener, &reply] {
      const int c = ::accept(listener, nullptr, nullptr);
      char buf[4096];
      [[maybe_unused]] const auto n = ::recv(c, buf, sizeof buf, 0);  // the request
      [[maybe_unused]] const auto w = ::send(c, reply.data(), reply.size(), 0);
      ::close(c);
    });
    auto client = make_client(api(), fast_options("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port))));
    auto result = client->complete(simple_request());
    closer.join();
    ::close(listener);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, FailureKind::protocol) << result.error().message;
    EXPECT_EQ(result.error().no_reply, reply.empty()) << result.error().message;
  }
}

TEST_P(InferenceClient, SilentServerHitsFirstTokenTimeout) {
  Script s;
  s.content_type = content_type(api());
  s.steps = {{3000, token(api(), "late")}};
  server_.set_script(s);
  auto opts = fast_options(server_.base_url());
  opts.first_token_timeout_s = 0.2;
  auto client = make_client(api(), opts);
  const auto t0 = std::chrono::steady_clock::now();
  auto result = client->complete(simple_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::timeout_first_token) << result.error().message;
  EXPECT_TRUE(is_timeout(result.error().kind));
  EXPECT_GE(elapsed_ms_since(t0), 190);
  EXPECT_LT(elapsed_ms_since(t0), 1000);
}

TEST_P(InferenceClient, SlowStreamHitsTotalTimeoutWithPartialText) {
  Script s;
  s.content_type = content_type(api());
  s.steps = {{0, token(api(), "x")}};
  s.repeat_last_ms = 20;  // tokens forever, never a final record
  server_.set_script(s);
  auto opts = fast_options(server_.base_url());
  opts.total_timeout_s = 0.3;
  auto client = make_client(api(), opts);
  // What arrived before the timeout is kept. On a loaded machine the server's first token
  // can miss the 0.3 s altogether (then there is rightly nothing): the timeout contract
  // holds on every try, a partial answer is seen on one of three.
  bool partial = false;
  for (int attempt = 0; attempt < 3 && !partial; ++attempt) {
    const auto t0 = std::chrono::steady_clock::now();
    auto result = client->complete(simple_request());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, FailureKind::timeout_total) << result.error().message;
    EXPECT_LT(elapsed_ms_since(t0), 1000);
    const Response& got = result.error().partial;
    EXPECT_EQ(got.token_times_ns.size(), got.text.size());
    EXPECT_EQ(got.t_first_token_ns != 0, !got.text.empty());
    partial = !got.text.empty();
  }
  EXPECT_TRUE(partial) << "in 3 tries no token arrived before the total timeout";
}

TEST_P(InferenceClient, CancelFromAnotherThreadAbortsPromptlyAndSticks) {
  Script s;
  s.content_type = content_type(api());
  s.steps = {{0, token(api(), "x")}, {2000, token(api(), "y")}};
  server_.set_script(s);
  auto client = make_client(api(), fast_options(server_.base_url()));
  std::atomic<bool> first_token{false};
  std::chrono::steady_clock::time_point t_cancel;
  std::thread canceller([&] {
    while (!first_token) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    t_cancel = std::chrono::steady_clock::now();
    client->cancel();
  });
  auto result = client->complete(simple_request(), [&](std::string_view, std::int64_t) { first_token = true; });
  canceller.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::cancelled);
  EXPECT_FALSE(is_timeout(result.error().kind));
  // Promptly: long before the server's next token (2 s after the first) would have
  // ended the wait. Counted from the cancel, so a late canceller thread is not blamed.
  EXPECT_LT(elapsed_ms_since(t_cancel), 1000);
  EXPECT_EQ(result.error().partial.text, "x");

  // Sticky: a cancel that lands between queries stops the next one before it is sent.
  const std::size_t sent = server_.requests().size();
  auto again = client->complete(simple_request());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, FailureKind::cancelled);
  EXPECT_EQ(server_.requests().size(), sent);
}

TEST_P(InferenceClient, CancelWhileServerIsSilentAbortsPromptly) {
  Script s;
  s.content_type = content_type(api());
  s.steps = {{3000, token(api(), "late")}};
  server_.set_script(s);
  auto opts = fast_options(server_.base_url());
  opts.first_token_timeout_s = 10;
  opts.total_timeout_s = 10;
  auto client = make_client(api(), opts);
  std::chrono::steady_clock::time_point t_cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    t_cancel = std::chrono::steady_clock::now();
    client->cancel();
  });
  auto result = client->complete(simple_request());
  canceller.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::cancelled);
  // Promptly: long before the server's token at 3 s (or the 10 s timeouts) would have
  // ended the wait; ASan on a loaded machine took 518 ms from the start, so the bound is
  // counted from the cancel and leaves the scheduler room.
  EXPECT_LT(elapsed_ms_since(t_cancel), 1000);
}

TEST_P(InferenceClient, MalformedJsonChunkIsProtocolFailure) {
  Script s = stream_of(api(), {"ok"}, 0, 0);
  s.steps.insert(s.steps.begin() + 1,
                 Step{0, api() == "openai" ? "data: {\"choices\": [\n\n" : "{\"message\": \n"});
  server_.set_script(s);
  auto client = make_client(api(), fast_options(server_.base_url()));
  auto result = client->complete(simple_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::protocol);
  EXPECT_NE(result.error().message.find("JSON"), std::string::npos) << result.error().message;
  EXPECT_EQ(result.error().partial.text, "ok");
}

TEST_P(InferenceClient, StreamCutBeforeItsEndIsProtocolFailure) {
  Script s;
  s.content_type = content_type(api());
  s.steps = {{0, token(api(), "half")}};
  server_.set_script(s);
  auto client = make_client(api(), fast_options(server_.base_url()));
  auto result = client->complete(simple_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::protocol);
  EXPECT_EQ(result.error().partial.text, "half");
}

TEST_P(InferenceClient, ServerReportedErrorInStreamIsProtocolFailure) {
  Script s;
  s.content_type = content_type(api());
  s.steps = {{0, token(api(), "a")},
             {0, api() == "openai" ? "data: {\"error\":{\"message\":\"out of memory\"}}\n\n"
                                   : "{\"error\":\"out of memory\"}\n"}};
  server_.set_script(s);
  auto client = make_client(api(), fast_options(server_.base_url()));
  auto result = client->complete(simple_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, FailureKind::protocol);
  EXPECT_NE(result.error().message.find("out of memory"), std::string::npos) << result.error().message;
}

TEST_P(InferenceClient, ReusesTheClientForSequentialQueries) {
  server_.set_script(stream_of(api(), {"one"}, 0, 0));
  auto client = make_client(api(), fast_options(server_.base_url()));
  for (int i = 0; i < 3; ++i) {
    auto result = client->complete(simple_request());
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->text, "one");
  }
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_P(InferenceClient, ConcurrentQueriesShareOneClientAndCancelStopsAll) {
  server_.set_script(stream_of(api(), {"a", "b"}, 20, 10));
  auto client = make_client(api(), fast_options(server_.base_url()));
  constexpr int kThreads = 4;
  std::vector<std::string> texts(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = client->complete(simple_request());
      texts[static_cast<std::size_t>(i)] = r ? r->text : r.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& t : texts) EXPECT_EQ(t, "ab");

  // Two queries in flight, one cancel(): both stop.
  Script slow;
  slow.content_type = content_type(api());
  slow.steps = {{2000, token(api(), "late")}};
  server_.set_script(slow);
  std::vector<FailureKind> kinds(2, FailureKind::protocol);
  threads.clear();
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = client->complete(simple_request());
      if (!r) kinds[i] = r.error().kind;
    });
  }
  while (server_.requests().size() < kThreads + 2u) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto t_cancel = std::chrono::steady_clock::now();
  client->cancel();
  for (auto& t : threads) t.join();
  EXPECT_EQ(kinds, std::vector<FailureKind>(2, FailureKind::cancelled));
  EXPECT_LT(elapsed_ms_since(t_cancel), 1000);  // the server's token is up to 2 s away
}

// The asynchronous interface: many streams started and driven from one thread,
// each ending in its callback with its own timings; a cancel ends all in flight.
TEST_P(InferenceClient, StartAndPollDriveManyStreamsFromOneThread) {
  server_.set_script(stream_of(api(), {"a", "b", "c"}, 100, 50));
  // Timeouts are not under test here: an ASan stress run's starved test server missed the
  // 2 s first-token timeout of fast_options.
  ClientOptions opts = fast_options(server_.base_url());
  opts.connect_timeout_s = 30;
  opts.first_token_timeout_s = 30;
  opts.total_timeout_s = 60;
  auto client = make_client(api(), opts);
  constexpr int kStreams = 16;
  std::vector<Result> results;
  for (int i = 0; i < kStreams; ++i) client->start(simple_request(), [&](Result r) { results.push_back(std::move(r)); });
  EXPECT_TRUE(results.empty());  // start() returns at once
  while (client->poll(50'000'000) > 0) {
  }
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kStreams));
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->text, "abc");
    EXPECT_EQ(r->token_times_ns.size(), 3u);
    EXPECT_GE(r->t_first_token_ns - r->t_send_ns, 100'000'000);
  }
  // In flight together, not one after another: every stream was sent before the
  // first one ended.
  std::int64_t last_send = 0, first_end = std::numeric_limits<std::int64_t>::max();
  for (const auto& r : results) {
    last_send = std::max(last_send, r->t_send_ns);
    first_end = std::min(first_end, r->t_last_byte_ns);
  }
  EXPECT_LT(last_send, first_end);

  Script slow;
  slow.content_type = content_type(api());
  slow.steps = {{2000, token(api(), "late")}};
  server_.set_script(slow);
  results.clear();
  for (int i = 0; i < 3; ++i) client->start(simple_request(), [&](Result r) { results.push_back(std::move(r)); });
  client->poll(50'000'000);
  client->cancel();
  while (client->poll(50'000'000) > 0) {
  }
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) EXPECT_EQ(r ? FailureKind::protocol : r.error().kind, FailureKind::cancelled);
}

// A caller with no time to wait (a scheduler with work queued) polls with 0: the
// streams must still progress. poll(0) once returned before reading any socket, so a
// scheduler spinning on it starved a stream into its total timeout.
TEST_P(InferenceClient, PollWithNoWaitStillReadsTheStreams) {
  server_.set_script(stream_of(api(), {"a", "b", "c"}, 20, 10));
  auto client = make_client(api(), fast_options(server_.base_url()));
  std::vector<Result> results;
  client->start(simple_request(), [&](Result r) { results.push_back(std::move(r)); });
  const auto t0 = std::chrono::steady_clock::now();
  while (client->poll(0) > 0 && elapsed_ms_since(t0) < 5000) {
  }
  ASSERT_EQ(results.size(), 1u) << "the stream did not end within 5 s of poll(0) calls";
  ASSERT_TRUE(results[0]) << results[0].error().message;
  EXPECT_EQ(results[0]->text, "abc");
}

// A server that leaves Nagle's algorithm on holds each small write until the last
// one is acknowledged; Linux delays ACKs up to 40 ms on a keep-alive connection.
// ipw's stamps must not depend on that: the first token is stamped within a few ms
// of the server writing it, on every query of a reused connection.
TEST_P(InferenceClient, TimingsDoNotDependOnTheServersNagle) {
  TestServer nagle(false);
  nagle.set_script(stream_of(api(), {"a", "b", "c"}, 5, 5));
  auto client = make_client(api(), fast_options(nagle.base_url()));
  // Nagle meeting delayed ACKs costs 35-40 ms on nearly every first token: the median
  // stays under 20 ms on every try. The tight bounds (scheduling noise only) hold on
  // one try of three: a loaded, sanitised machine once stalled one query 167 ms.
  bool tight = false;
  for (int attempt = 0; attempt < 3 && !tight; ++attempt) {
    std::vector<std::int64_t> first_token_ns;
    for (int i = 0; i < 12; ++i) {
      auto r = client->complete(simple_request());
      ASSERT_TRUE(r) << r.error().message;
      first_token_ns.push_back(r->t_first_token_ns);
    }
    const auto written = nagle.first_write_ns();
    ASSERT_GE(written.size(), first_token_ns.size());
    std::vector<double> lag_ms;
    for (std::size_t i = 0; i < first_token_ns.size(); ++i) {
      lag_ms.push_back(static_cast<double>(first_token_ns[i] - written[written.size() - first_token_ns.size() + i]) * 1e-6);
    }
    std::sort(lag_ms.begin(), lag_ms.end());
    const double median = lag_ms[lag_ms.size() / 2];
    EXPECT_LT(median, 20.0) << "median lag: the delayed ACK";
    tight = median <= 2.0 && lag_ms.back() < 25.0;
  }
  EXPECT_TRUE(tight) << "no try had a median lag within 2 ms and a worst under 25 ms";
}

INSTANTIATE_TEST_SUITE_P(Apis, InferenceClient, ::testing::Values("openai", "ollama"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace ipw::inference
