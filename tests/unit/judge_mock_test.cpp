// The judge against ipw-mock-server scripted as a judge: verdict parsing end to end,
// retries on 5xx, no retries on 4xx, recorded failures, the cache, and `ipw score`'s
// rescoring of a stored run.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "inference_test_server.h"
#include "ipw/judge/judge.h"
#include "ipw/run/judge_policy.h"
#include "ipw/run/rescore.h"
#include "mock_server_process.h"

namespace ipw::judge {
namespace {

using run::kMaxUnreachableInARow;
using run::RescoreStats;

using ipw::testing::MockServerProcess;

// The mock answers with the first line whose prompt occurs in the request; the judge's
// request contains the model's answer, so markers in the answers pick the verdict.
constexpr const char* kScript =
    R"({"prompt": "MARK-GOOD", "answer": "Reply A covers every point. [[A>B]]"}
{"prompt": "MARK-TIE", "answer": "Both are fine.\n**Verdict: [[A=B]]**"}
{"prompt": "MARK-BAD", "answer": "Reply B is far better.\n[[B>>A]]"}
{"prompt": "MARK-TRUE", "answer": "Same final result as the reference.\nVerdict: True"}
{"prompt": "MARK-FALSE", "answer": "**False**"}
{"prompt": "MARK-MUDDLE", "answer": "I cannot tell which is better."}
)";

class JudgeMock : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ipw-judge-mock-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "run");
    std::ofstream(dir_ / "judge.jsonl") << kScript;
    store_.emplace(run::RunStore::create((dir_ / "run").string()));
  }
  void TearDown() override {
    store_.reset();
    if (server_) server_->terminate();
    std::filesystem::remove_all(dir_);
  }

  // Starts the scripted judge with extra flags; returns its URL.
  std::string start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--port", "0", "--answers", (dir_ / "judge.jsonl").string(),
                                     "--tokens-per-s", "0"};
    if (std::find(extra.begin(), extra.end(), "--ttft-ms") == extra.end()) extra.insert(extra.end(), {"--ttft-ms", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<MockServerProcess>(args);
    const int port = server_->wait_for_port();
    if (port <= 0) throw std::runtime_error("mock judge did not start: " + server_->stderr_text());
    return "http://127.0.0.1:" + std::to_string(port);
  }

  Judge make_judge(const std::string& url, const std::string& model = "mock-judge") {
    JudgeConfig cfg;
    cfg.url = url;
    cfg.model = model;
    cfg.retries = 2;
    cfg.backoff_s = 0.01;
    cfg.timeout_s = 10;
    return Judge(cfg, make_judge_client(cfg));
  }

  JudgeOutcome ask(Judge& j, Protocol p, const std::string& answer, const std::string& reference = "ref") {
    return j.judge({p, "Question?", answer, reference, 0, 0}, *store_);
  }

  std::filesystem::path dir_;
  std::optional<run::RunStore> store_;
  std::unique_ptr<MockServerProcess> server_;
};

TEST_F(JudgeMock, ReadsScriptedVerdictsAndRecordsTokens) {
  Judge j = make_judge(start());
  struct Case {
    Protocol p;
    const char* answer;
    const char* verdict;
    bool correct;
  };
  const Case cases[] = {{Protocol::pairwise, "MARK-GOOD answer", "A>B", true},
                        {Protocol::pairwise, "MARK-TIE answer", "A=B", true},
                        {Protocol::pairwise, "MARK-BAD answer", "B>>A", false},
                        {Protocol::reference, "MARK-TRUE answer", "true", true},
                        {Protocol::reference, "MARK-FALSE answer", "false", false}};
  for (const auto& c : cases) {
    const JudgeOutcome out = ask(j, c.p, c.answer);
    EXPECT_FALSE(out.cache_hit) << c.answer;
    ASSERT_TRUE(out.record.ok()) << c.answer << ": " << out.record.error;
    EXPECT_EQ(out.record.verdict, c.verdict);
    EXPECT_EQ(out.record.correct, c.correct);
    EXPECT_EQ(out.record.attempts, 1);
    EXPECT_GT(out.record.input_tokens.value_or(0), 50);  // the whole judge prompt
    EXPECT_GT(out.record.output_tokens.value_or(0), 0);
    EXPECT_EQ(out.record.prompt_version, c.p == Protocol::pairwise ? "pairwise-v1" : "reference-v1");
    EXPECT_EQ(out.record.judge_model, "mock-judge");
  }
  EXPECT_EQ(store_->judgments().size(), 5u);
}

TEST_F(JudgeMock, SecondAskIsACacheHitAndKeysSeparateJudgesAndAnswers) {
  const std::string url = start();
  Judge j = make_judge(url);
  ASSERT_TRUE(ask(j, Protocol::pairwise, "MARK-GOOD answer").record.ok());
  const JudgeOutcome again = ask(j, Protocol::pairwise, "MARK-GOOD answer");
  EXPECT_TRUE(again.cache_hit);
  EXPECT_EQ(again.record.verdict, "A>B");
  EXPECT_EQ(store_->judgments().size(), 1u);  // nothing asked, nothing recorded
  // Reasoning is removed before judging, so a think block does not change the key.
  EXPECT_TRUE(ask(j, Protocol::pairwise, "<think>hmm</think>MARK-GOOD answer").cache_hit);
  EXPECT_FALSE(ask(j, Protocol::pairwise, "MARK-GOOD answer", "another reference").cache_hit);
  EXPECT_FALSE(ask(j, Protocol::reference, "MARK-GOOD answer").cache_hit);  // another protocol
  Judge other = make_judge(url, "another-judge");
  EXPECT_FALSE(ask(other, Protocol::pairwise, "MARK-GOOD answer").cache_hit);
}

TEST_F(JudgeMock, Retries5xxWithBackoff) {
  Judge j = make_judge(start({"--fail-every", "2", "--fail-status", "503"}));
  // Requests 2 and 4 fail: the second and third judgments each need one retry.
  const int want_attempts[] = {1, 2, 2};
  const char* answers[] = {"MARK-GOOD 1", "MARK-GOOD 2", "MARK-GOOD 3"};
  for (int i = 0; i < 3; ++i) {
    const JudgeOutcome out = ask(j, Protocol::pairwise, answers[i]);
    ASSERT_TRUE(out.record.ok()) << out.record.error;
    EXPECT_EQ(out.record.attempts, want_attempts[i]);
  }
}

TEST_F(JudgeMock, PersistentFailureIsRecordedAndNeverCached) {
  Judge j = make_judge(start({"--fail-every", "1", "--fail-status", "503"}));
  const JudgeOutcome out = ask(j, Protocol::pairwise, "MARK-GOOD answer");
  EXPECT_FALSE(out.record.ok());
  EXPECT_FALSE(out.record.correct.has_value());
  EXPECT_EQ(out.record.attempts, 3);  // the first try and two retries
  EXPECT_NE(out.record.error.find("HTTP 503"), std::string::npos) << out.record.error;
  const auto rows = store_->judgments();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].error, out.record.error);
  EXPECT_FALSE(ask(j, Protocol::pairwise, "MARK-GOOD answer").cache_hit);  // asked again
  EXPECT_EQ(store_->judgments().size(), 2u);
}

TEST_F(JudgeMock, ClientErrorsAreNotRetried) {
  Judge j = make_judge(start({"--fail-every", "1", "--fail-status", "400"}));
  const JudgeOutcome out = ask(j, Protocol::reference, "MARK-TRUE answer");
  EXPECT_FALSE(out.record.ok());
  EXPECT_EQ(out.record.attempts, 1);
  EXPECT_NE(out.record.error.find("HTTP 400"), std::string::npos) << out.record.error;
}

TEST_F(JudgeMock, UnreadableReplyIsAFailureThatKeepsTheReply) {
  Judge j = make_judge(start());
  const JudgeOutcome out = ask(j, Protocol::pairwise, "MARK-MUDDLE answer");
  EXPECT_FALSE(out.record.ok());
  EXPECT_EQ(out.record.raw_reply, "I cannot tell which is better.");
  EXPECT_NE(out.record.error.find("no pairwise verdict"), std::string::npos) << out.record.error;
  EXPECT_EQ(out.record.attempts, 1);
}

TEST_F(JudgeMock, UnreachableJudgeIsARecordedFailure) {
  Judge j = make_judge("http://127.0.0.1:" + std::to_string(inference::testing::refused_port()));
  const JudgeOutcome out = ask(j, Protocol::pairwise, "MARK-GOOD answer");
  EXPECT_FALSE(out.record.ok());
  EXPECT_EQ(out.record.attempts, 3);
  EXPECT_NE(out.record.error.find("connect"), std::string::npos) << out.record.error;
  EXPECT_EQ(store_->judgments().size(), 1u);
}

run::QueryRecord query(int seq, const std::string& kind, const std::string& response, const std::string& reference,
                       std::optional<bool> correct, const std::string& method) {
  run::QueryRecord q;
  q.seq = seq;
  q.item_id = "q" + std::to_string(seq);
  q.kind = kind;
  q.prompt = "Question " + std::to_string(seq);
  q.response = response;
  q.reference = reference;
  q.correct = correct;
  q.score_method = method;
  return q;
}

TEST_F(JudgeMock, RescoreJudgesOnlyWhatTheScorersCannotDecide) {
  const int s = store_->begin_session({});
  std::vector<run::QueryRecord> qs = {
      query(0, "chat", "MARK-GOOD reply", "ref", std::nullopt, "none"),
      query(1, "chat", "MARK-BAD reply", "ref", std::nullopt, "none"),
      query(2, "exact", "Answer: Paris", "Paris", true, "exact"),                     // matched: final
      query(3, "exact", "It is the French capital MARK-TRUE", "Paris", false, "exact"),  // paraphrase
      query(4, "numeric", "Answer: 12 MARK-TRUE", "14", false, "numeric"),           // numeric: final
      query(5, "reasoning", "MARK-FALSE reasoning", "ref", std::nullopt, "none"),
      query(6, "chat", "MARK-MUDDLE reply", "ref", std::nullopt, "none"),            // judge fails
      query(7, "exact", "Somewhere else MARK-MUDDLE", "Paris", false, "exact"),      // fails: stays wrong
  };
  qs.push_back(query(8, "chat", "MARK-GOOD reply", "ref", false, "error"));
  qs.back().error_kind = "http_status";  // failed queries are wrong, never judged
  store_->commit_queries(qs, s, {});

  Judge j = make_judge(start());
  std::atomic<bool> stop{false};
  const RescoreStats st = rescore_run(*store_, j, {}, stop);
  EXPECT_EQ(st.queries, 9u);
  EXPECT_EQ(st.eligible, 6u);  // 0, 1, 3, 5, 6, 7
  EXPECT_EQ(st.judge_calls, 6u);
  EXPECT_EQ(st.cache_hits, 0u);
  EXPECT_EQ(st.failures, 2u);
  EXPECT_GT(st.input_tokens, 0);

  const auto got = store_->queries();
  auto expect = [&](int seq, std::optional<bool> correct, const std::string& method) {
    EXPECT_EQ(got[static_cast<std::size_t>(seq)].correct, correct) << "seq " << seq;
    EXPECT_EQ(got[static_cast<std::size_t>(seq)].score_method, method) << "seq " << seq;
  };
  expect(0, true, "judge-pairwise");
  expect(1, false, "judge-pairwise");
  expect(2, true, "exact");
  expect(3, true, "judge-reference");
  expect(4, false, "numeric");
  expect(5, false, "judge-reference");
  expect(6, std::nullopt, "judge-failed");  // unscored, not wrong
  expect(7, false, "exact");
  expect(8, false, "error");
  EXPECT_EQ(store_->manifest()["judge"]["model"], "mock-judge");
  EXPECT_EQ(store_->manifest()["judge"]["prompts"]["pairwise"]["version"], "pairwise-v1");
  EXPECT_EQ(store_->manifest()["judge"]["prompts"]["pairwise"]["sha256"].get<std::string>().size(), 64u);

  // Again: only the two failures are retried (and fail again).
  const RescoreStats again = rescore_run(*store_, j, {}, stop);
  EXPECT_EQ(again.kept, 4u);
  EXPECT_EQ(again.judge_calls, 2u);
  // --rescore-all: everything again, the successes straight from the cache.
  const std::size_t rows = store_->judgments().size();
  const RescoreStats all = rescore_run(*store_, j, {true}, stop);
  EXPECT_EQ(all.cache_hits, 4u);
  EXPECT_EQ(all.judge_calls, 2u);
  EXPECT_EQ(all.changed, 0u);
  EXPECT_EQ(store_->judgments().size(), rows + 2);
}

TEST_F(JudgeMock, InterruptCancelsASlowJudgeAtOnce) {
  JudgeConfig cfg;
  cfg.url = start({"--ttft-ms", "10000"});
  cfg.model = "mock-judge";
  cfg.backoff_s = 0.01;
  // The Ctrl-C comes 200 ms in. A loaded (sanitised) machine can take longer than that
  // to reach the request, and then the judge is rightly never asked. The contract holds
  // on every try; the cancellation of a request in flight is seen on one of three.
  bool cancelled_in_flight = false;
  for (int attempt = 0; attempt < 3 && !cancelled_in_flight; ++attempt) {
    std::atomic<bool> stop{false};
    Judge j(cfg, make_judge_client(cfg), &stop);
    std::thread ctrl_c([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      stop = true;
    });
    const auto t0 = std::chrono::steady_clock::now();
    const JudgeOutcome out = ask(j, Protocol::pairwise, "MARK-GOOD answer");
    const double waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ctrl_c.join();
    EXPECT_LT(waited_s, 3.0);
    EXPECT_FALSE(out.record.ok());
    EXPECT_LE(out.record.attempts, 1);  // a cancellation is not retried
    if (out.record.attempts == 0) {
      EXPECT_NE(out.record.error.find("interrupted before the judge was asked"), std::string::npos) << out.record.error;
      continue;
    }
    EXPECT_NE(out.record.error.find("cancelled"), std::string::npos) << out.record.error;
    cancelled_in_flight = true;
  }
  EXPECT_TRUE(cancelled_in_flight) << "in 3 tries the interrupt never found the request in flight";
}

TEST_F(JudgeMock, RescoreStopsWhenTheJudgeIsUnreachable) {
  const int s = store_->begin_session({});
  std::vector<run::QueryRecord> qs;
  for (int i = 0; i < 5; ++i) qs.push_back(query(i, "chat", "MARK-GOOD reply", "ref", std::nullopt, "none"));
  store_->commit_queries(qs, s, {});
  Judge j = make_judge("http://127.0.0.1:" + std::to_string(inference::testing::refused_port()));
  std::atomic<bool> stop{false};
  const RescoreStats st = rescore_run(*store_, j, {}, stop);
  EXPECT_EQ(st.judge_calls, static_cast<std::size_t>(kMaxUnreachableInARow));
  EXPECT_NE(st.stopped_because.find("could not reach the judge"), std::string::npos) << st.stopped_because;
  const auto got = store_->queries();
  EXPECT_EQ(got[0].score_method, kMethodFailed);  // judged and failed: unscored, not wrong
  EXPECT_FALSE(got[0].correct.has_value());
  EXPECT_EQ(got[4].score_method, "none");  // never asked
}

}  // namespace
}  // namespace ipw::judge
