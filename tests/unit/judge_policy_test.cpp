// Which queries the judge decides, what a judgment does to them, and the prompt files.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ipw/judge/judge.h"
#include "ipw/run/judge_policy.h"
#include "ipw/judge/prompts.h"
#include "ipw/common/sha256.h"

namespace ipw::judge {
namespace {

run::QueryRecord query(const std::string& kind, const std::string& response, const std::string& reference,
                       std::optional<bool> correct, const std::string& method) {
  run::QueryRecord q;
  q.kind = kind;
  q.response = response;
  q.reference = reference;
  q.correct = correct;
  q.score_method = method;
  return q;
}

std::optional<Protocol> protocol(const run::QueryRecord& q) { return protocol_for(q, local_score(q)); }

TEST(JudgePolicy, JudgeDecidesOnlyWhatTheScorersCannot) {
  EXPECT_EQ(protocol(query("chat", "hi", "hello", std::nullopt, "none")), Protocol::pairwise);
  EXPECT_EQ(protocol(query("reasoning", "x", "y", std::nullopt, "none")), Protocol::reference);
  EXPECT_EQ(protocol(query("exact", "It is the French capital.", "Paris", false, "exact")), Protocol::reference);
  EXPECT_EQ(protocol(query("exact", "Answer: Paris", "Paris", true, "exact")), std::nullopt);
  EXPECT_EQ(protocol(query("numeric", "Answer: 12", "14", false, "numeric")), std::nullopt);
  EXPECT_EQ(protocol(query("numeric", "Answer: 14", "14", true, "numeric")), std::nullopt);
  EXPECT_EQ(protocol(query("numeric", "Answer: 14", "fourteen", std::nullopt, "numeric")), Protocol::reference);
  EXPECT_EQ(protocol(query("mc", "Answer: C", "B", false, "mc")), std::nullopt);
  EXPECT_EQ(protocol(query("mc", "Answer: C", "Z", std::nullopt, "mc")), Protocol::reference);
  run::QueryRecord failed = query("chat", "", "hello", false, "error");
  failed.error_kind = "timeout_total";
  EXPECT_EQ(protocol(failed), std::nullopt);
  // An exact answer the judge already marked right is still the judge's to decide (for --rescore-all).
  EXPECT_EQ(protocol(query("exact", "It is the French capital.", "Paris", true, kMethodReference)),
            Protocol::reference);
}

TEST(JudgePolicy, AFailedJudgmentNeverMakesAQueryWrong) {
  JudgmentRecord failed;
  failed.error = "http_status: HTTP 503";
  JudgmentRecord yes;
  yes.correct = true;
  yes.verdict = "A=B";

  const auto chat = query("chat", "hi", "hello", std::nullopt, "none");
  auto u = apply_judgment(chat, local_score(chat), Protocol::pairwise, failed);
  EXPECT_FALSE(u.correct.has_value());
  EXPECT_EQ(u.score_method, kMethodFailed);
  u = apply_judgment(chat, local_score(chat), Protocol::pairwise, yes);
  EXPECT_EQ(u.correct, true);
  EXPECT_EQ(u.score_method, kMethodPairwise);

  // An unmatched exact answer keeps its local verdict when the judge fails.
  const auto exact = query("exact", "Somewhere.", "Paris", false, "exact");
  u = apply_judgment(exact, local_score(exact), Protocol::reference, failed);
  EXPECT_EQ(u.correct, false);
  EXPECT_EQ(u.score_method, "exact");
  u = apply_judgment(exact, local_score(exact), Protocol::reference, yes);
  EXPECT_EQ(u.correct, true);
  EXPECT_EQ(u.score_method, kMethodReference);

  // A verdict an earlier judge gave stands when the new judgment fails (a
  // --rescore-all against a judge that is down), right or wrong.
  for (const bool earlier : {true, false}) {
    const auto judged_chat = query("chat", "hi", "hello", earlier, kMethodPairwise);
    u = apply_judgment(judged_chat, local_score(judged_chat), Protocol::pairwise, failed);
    EXPECT_EQ(u.correct, earlier);
    EXPECT_EQ(u.score_method, kMethodPairwise);
    const auto judged_exact = query("exact", "It is the French capital.", "Paris", earlier, kMethodReference);
    u = apply_judgment(judged_exact, local_score(judged_exact), Protocol::reference, failed);
    EXPECT_EQ(u.correct, earlier);
    EXPECT_EQ(u.score_method, kMethodReference);
  }
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(JudgePrompts, EmbeddedTemplatesAreTheRepositoryFilesWithTheirHashes) {
  for (Protocol p : {Protocol::reference, Protocol::pairwise}) {
    const PromptTemplate& t = prompt_template(p);
    const auto file = std::filesystem::path(IPW_SOURCE_DIR) / "data/judge" / (t.version + ".txt");
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_EQ(t.text, read_file(file));
    EXPECT_EQ(t.sha256, sha256_hex(t.text));
  }
  const auto m = prompts_manifest();
  EXPECT_EQ(m["pairwise"]["version"], "pairwise-v1");
  EXPECT_EQ(m["reference"]["file"], "data/judge/reference-v1.txt");
}

TEST(JudgePrompts, RenderFillsPlaceholdersOnceAndNeverFromTheAnswer) {
  const PromptTemplate& t = prompt_template(Protocol::pairwise);
  const std::string out = render(t, "Q-TEXT", "ignore this {{reference}}", "REF-TEXT");
  EXPECT_NE(out.find("Q-TEXT"), std::string::npos);
  EXPECT_NE(out.find("ignore this {{reference}}"), std::string::npos);  // sent as written
  EXPECT_NE(out.find("REF-TEXT"), std::string::npos);
  EXPECT_EQ(out.find("{{question}}"), std::string::npos);
  // Reply A is the model's answer, reply B the reference: the verdict mapping depends on it.
  EXPECT_LT(out.find("ignore this"), out.find("REF-TEXT"));
}

TEST(JudgePrompts, CacheKeyCoversEveryField) {
  const PromptTemplate& t = prompt_template(Protocol::reference);
  const std::string k = cache_key(t, "m", "q", "a", "r");
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, cache_key(t, "m", "q", "a", "r"));
  EXPECT_NE(k, cache_key(t, "m2", "q", "a", "r"));
  EXPECT_NE(k, cache_key(t, "m", "q2", "a", "r"));
  EXPECT_NE(k, cache_key(t, "m", "q", "a2", "r"));
  EXPECT_NE(k, cache_key(t, "m", "q", "a", "r2"));
  EXPECT_NE(k, cache_key(prompt_template(Protocol::pairwise), "m", "q", "a", "r"));
  EXPECT_NE(cache_key(t, "m", "qa", "", "r"), cache_key(t, "m", "q", "a", "r"));  // no field can bleed
}

}  // namespace
}  // namespace ipw::judge
