// The llama.cpp reference-scoring protocol pieces: grammar text, /tokenize replies, and the
// checks on a forced completion's log-probabilities. The live path is in
// tests/e2e/engine_profile_test.sh (against the real llama-server).
#include "ipw/inference/reference_likelihood.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ipw::inference {
namespace {

using nlohmann::json;

std::string forced_reply(const std::vector<std::pair<int, double>>& tokens) {
  json content = json::array();
  for (const auto& [id, lp] : tokens) content.push_back({{"id", id}, {"token", "x"}, {"logprob", lp}});
  json choice = json::object();
  choice["index"] = 0;
  choice["logprobs"]["content"] = content;
  json reply = json::object();
  reply["choices"] = json::array({choice});
  return reply.dump();
}

TEST(ReferenceLikelihood, GrammarAdmitsExactlyTheTokenSequence) {
  EXPECT_EQ(token_sequence_grammar({398, 285, 259, 279}), "root ::= <[398]> <[285]> <[259]> <[279]>");
  EXPECT_EQ(token_sequence_grammar({7}), "root ::= <[7]>");
}

TEST(ReferenceLikelihood, TokenizeRepliesWithAndWithoutPieces) {
  EXPECT_EQ(*parse_tokenize_reply(R"({"tokens":[398,285,259]})"), (std::vector<int>{398, 285, 259}));
  EXPECT_EQ(*parse_tokenize_reply(R"({"tokens":[{"id":398,"piece":" Answer"},{"id":285,"piece":":"}]})"),
            (std::vector<int>{398, 285}));
  EXPECT_TRUE(parse_tokenize_reply(R"({"tokens":[]})")->empty());
  EXPECT_FALSE(parse_tokenize_reply("not json"));
  EXPECT_FALSE(parse_tokenize_reply(R"({"error":"no"})"));
  EXPECT_FALSE(parse_tokenize_reply(R"({"tokens":["a"]})"));
}

TEST(ReferenceLikelihood, SumsNegativeLogprobsOfTheForcedTokens) {
  const auto s = parse_forced_logprobs(forced_reply({{10, -0.5}, {11, -1.25}, {12, 0.0}}), {10, 11, 12});
  ASSERT_TRUE(s) << s.error();
  EXPECT_DOUBLE_EQ(s->nll_nats, 1.75);
  EXPECT_EQ(s->tokens, 3);
}

TEST(ReferenceLikelihood, RefusesRepliesThatDidNotScoreTheReference) {
  // Fewer tokens (the model hit an end-of-generation token inside the reference).
  EXPECT_FALSE(parse_forced_logprobs(forced_reply({{10, -0.5}}), {10, 11}));
  // A different token (a server that ignored the grammar).
  const auto wrong = parse_forced_logprobs(forced_reply({{10, -0.5}, {99, -1.0}}), {10, 11});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("instead of 11"), std::string::npos) << wrong.error();
  // llama.cpp writes log(0) as the lowest float: an underflow, not a number to sum.
  EXPECT_FALSE(parse_forced_logprobs(forced_reply({{10, -3.4028234663852886e38}}), {10}));
  EXPECT_FALSE(parse_forced_logprobs(forced_reply({{10, 0.5}}), {10}));  // a log-probability > 0
  // No logprobs at all (a server that ignores `logprobs`).
  EXPECT_FALSE(parse_forced_logprobs(R"({"choices":[{"index":0,"message":{"content":"x"}}]})", {10}));
  EXPECT_FALSE(parse_forced_logprobs("[]", {10}));
}

}  // namespace
}  // namespace ipw::inference
