// Engine-reported timings as exports read them: llama.cpp's `timings`, Ollama's durations.
#include "ipw/inference/server_timings.h"

#include <gtest/gtest.h>

#include "ipw/report/query_export.h"

namespace ipw::inference {
namespace {

TEST(ServerTimings, LlamaCppTimings) {
  const auto t = parse_server_timings(
      R"({"cache_n":12,"prompt_n":3,"prompt_ms":1.25,"predicted_n":8,"predicted_ms":4.5,"predicted_per_second":1777})");
  EXPECT_DOUBLE_EQ(*t.prompt_ms, 1.25);
  EXPECT_DOUBLE_EQ(*t.predicted_ms, 4.5);
  EXPECT_EQ(*t.prompt_tokens, 3);
  EXPECT_EQ(*t.predicted_tokens, 8);
  EXPECT_EQ(*t.cache_tokens, 12);
}

TEST(ServerTimings, OllamaDurationsInNanoseconds) {
  const auto t = parse_server_timings(
      R"({"total_duration_ns":5000000,"prompt_eval_duration_ns":2000000,"eval_duration_ns":2500000,"prompt_eval_count":7,"eval_count":2})");
  EXPECT_DOUBLE_EQ(*t.prompt_ms, 2.0);
  EXPECT_DOUBLE_EQ(*t.predicted_ms, 2.5);
  EXPECT_EQ(*t.prompt_tokens, 7);
  EXPECT_EQ(*t.predicted_tokens, 2);
  EXPECT_FALSE(t.cache_tokens);  // Ollama does not report its cache hits
}

TEST(ServerTimings, AbsentOrMalformedIsEmptyNeverZero) {
  for (const char* text : {"", "{}", "not json", "[1,2]", R"({"prompt_ms":"fast"})"}) {
    const auto t = parse_server_timings(text);
    EXPECT_FALSE(t.prompt_ms) << text;
    EXPECT_FALSE(t.predicted_ms) << text;
    EXPECT_FALSE(t.cache_tokens) << text;
  }
}

TEST(ServerTimings, ExportCarriesThemAndNullWhenAbsent) {
  run::QueryRecord q;
  q.server_timings_json = R"({"cache_n":0,"prompt_n":5,"prompt_ms":0.75,"predicted_n":3,"predicted_ms":2.0})";
  q.reference_nll_nats = 1.5;
  q.reference_tokens = 3;
  auto row = report::export_row(q);
  EXPECT_DOUBLE_EQ(row["server_prompt_ms"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(row["server_predicted_ms"].get<double>(), 2.0);
  EXPECT_EQ(row["server_cache_tokens"].get<int>(), 0);
  EXPECT_EQ(row["reference_tokens"].get<int>(), 3);
  EXPECT_NEAR(row["perplexity"].get<double>(), 1.6487212707, 1e-9);  // e^0.5
  for (const auto& col : report::export_columns()) EXPECT_TRUE(row.contains(col)) << col;

  run::QueryRecord bare;
  row = report::export_row(bare);
  for (const char* col : {"server_prompt_ms", "server_predicted_ms", "server_cache_tokens",
                          "reference_tokens", "reference_nll_nats", "perplexity"}) {
    EXPECT_TRUE(row[col].is_null()) << col;
  }
}

}  // namespace
}  // namespace ipw::inference
